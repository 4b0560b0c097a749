// Reading and writing Hugging Face safetensors checkpoints.
//
// Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON
// ({name: {"dtype","shape","data_offsets":[begin,end]}, "__metadata__": {str: str}}),
// then the raw row-major data; offsets are relative to the end of the header.
//
// Reading maps files with mmap and hands out zero-copy TensorViews. Everything is
// validated before use — header length, JSON, dtype, offsets inside the data section,
// no overlaps, shape x dtype size == byte length, no integer overflow — so a hostile or
// truncated file yields a DataLoss/Unimplemented status, never an out-of-bounds read.
//
//   StatusOr<TensorStore> store = TensorStore::Open("/models/qwen3-vl-2b");
//   const TensorInfo* info = store->Find("model.language_model.norm.weight");
//   TensorView w = store->View(*info);
//
// Thread-safety: a TensorStore is immutable after Open and safe to read from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "corgi/core/status.h"
#include "corgi/core/tensor.h"

namespace corgi {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  size_t file_index = 0;   // which file of the store holds it
  size_t data_offset = 0;  // absolute byte offset within that file
  size_t bytes = 0;        // == shape.numel() * DTypeSize(dtype)
};

// One validated .safetensors file.
class SafetensorsFile {
 public:
  // Maps and validates `path`. Errors: NotFound/IoError (cannot open), DataLoss
  // (malformed: every check listed above), Unimplemented (a dtype other than
  // F32/F16/BF16, named in the message).
  static StatusOr<SafetensorsFile> Open(const std::string& path);
  // Validates an in-memory image of a file (used by Open and by fuzz tests).
  // The returned tensors' data_offset values are relative to `bytes`.
  static Status Parse(const uint8_t* bytes, size_t size, std::vector<TensorInfo>* tensors,
                      std::map<std::string, std::string>* metadata);

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const MappedFile& file() const { return file_; }

 private:
  MappedFile file_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint: a single model.safetensors, or shards listed by
// model.safetensors.index.json (every shard named in the weight_map must exist and
// contain exactly the tensors the map assigns to it).
class TensorStore {
 public:
  // `path` is a checkpoint directory, a .safetensors file, or an index .json file.
  // A directory is opened through its model.safetensors.index.json if present, else
  // its model.safetensors. Errors: NotFound (no checkpoint, or a shard named by the
  // index is missing — the message names it), DataLoss (malformed file or index; a
  // shard name that is not a plain file name; a tensor the map assigns to a shard
  // that lacks it; a shard tensor the map does not list or assigns elsewhere; a
  // tensor listed twice), Unimplemented (unsupported dtype or rank > kMaxDims).
  static StatusOr<TensorStore> Open(const std::string& path);

  // nullptr when absent.
  const TensorInfo* Find(const std::string& name) const;
  // A zero-copy view into the mapped file; valid while the store lives.
  TensorView View(const TensorInfo& info) const;
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const std::vector<std::string>& file_paths() const { return file_paths_; }
  size_t total_file_bytes() const;  // sum of the files' sizes
  size_t total_tensor_bytes() const;

 private:
  // Opens the shards named by `weight_map` (tensor -> file name in `dir`) and checks
  // that they hold exactly the mapped tensors.
  Status OpenShards(const std::string& dir, const std::string& index_path,
                    const std::map<std::string, std::string>& weight_map);

  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::vector<std::string> file_paths_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> by_name_;
};

// A tensor to write. `fill` writes exactly shape.numel() * DTypeSize(dtype) bytes
// into `dst`; it is called once, in order, so huge checkpoints stream to disk
// without being held in memory.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::function<void(uint8_t* dst)> fill;
  size_t bytes() const { return static_cast<size_t>(shape.numel()) * DTypeSize(dtype); }
};

// Writes one .safetensors file atomically (temporary file, then rename). Tensors are
// laid out contiguously in the given order, so `fill`'s dst is only guaranteed 2-byte
// aligned (write through memcpy). The header is padded with spaces to a multiple of 8.
// Errors: InvalidArgument (empty, repeated or "__metadata__" name, null fill, negative
// dims, size overflow), NotFound/IoError (cannot create, allocate or rename), Internal
// (a fill function threw). On error no file is left behind.
Status WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

// Writes `tensors` into `dir` the way Hugging Face does: model.safetensors if the
// total fits in `max_shard_bytes`, otherwise model-0000i-of-0000n.safetensors shards
// (tensors kept in order, a shard closed before it would exceed the limit) plus
// model.safetensors.index.json with {"metadata":{"total_size"}, "weight_map"}.
// Each file's __metadata__ is `metadata` plus "format": "pt" when absent (transformers
// refuses safetensors metadata without a format). `dir` is created if needed; writing a
// single file removes a stale index left by an earlier sharded write. Errors as for
// WriteSafetensors; InvalidArgument when max_shard_bytes is 0.
Status WriteCheckpointTensors(const std::string& dir, const std::vector<TensorToWrite>& tensors,
                              size_t max_shard_bytes,
                              const std::map<std::string, std::string>& metadata = {});

}  // namespace corgi
