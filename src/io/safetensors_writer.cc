// Writing .safetensors files and Hugging Face-style sharded checkpoints.
//
// The output file is preallocated and mapped, and each tensor's `fill` writes straight
// into the mapping, so no tensor is ever copied through an intermediate buffer and a
// 16 GB checkpoint never has to fit in memory. Tensors are laid out contiguously in the
// order given (the reference reader rejects gaps), so `dst` is only as aligned as the
// preceding tensors' sizes make it: fill with memcpy, not through a cast float*.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "corgi/io/safetensors.h"

namespace corgi {
namespace {

using nlohmann::ordered_json;

Status ErrnoError(const std::string& what, const std::string& path, int err) {
  std::string message = what + " '" + path + "': " + std::strerror(err);
  return err == ENOENT ? NotFoundError(message) : IoError(message);
}

// Checks names and sizes; returns the total data bytes.
StatusOr<uint64_t> ValidateTensors(const std::vector<TensorToWrite>& tensors) {
  std::set<std::string> names;
  uint64_t total = 0;
  for (const TensorToWrite& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__") {
      return InvalidArgumentError("invalid tensor name \"" + t.name + "\"");
    }
    if (!names.insert(t.name).second) {
      return InvalidArgumentError("tensor '" + t.name + "' is listed twice");
    }
    if (!t.fill) return InvalidArgumentError("tensor '" + t.name + "' has no fill function");
    uint64_t bytes = DTypeSize(t.dtype);
    for (int d = 0; d < t.shape.rank(); ++d) {
      if (t.shape[d] < 0 ||
          __builtin_mul_overflow(bytes, static_cast<uint64_t>(t.shape[d]), &bytes)) {
        return InvalidArgumentError("tensor '" + t.name + "' has an invalid shape " +
                                    t.shape.ToString());
      }
    }
    if (__builtin_add_overflow(total, bytes, &total)) {
      return InvalidArgumentError("total tensor size overflows 64 bits");
    }
  }
  return total;
}

// The JSON header, padded with spaces to a multiple of 8 bytes as Hugging Face does,
// so the data section starts 8-byte aligned.
StatusOr<std::string> BuildHeader(const std::vector<TensorToWrite>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  ordered_json header = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json meta = ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    ordered_json entry = ordered_json::object();
    entry["dtype"] = DTypeName(t.dtype);
    ordered_json shape = ordered_json::array();
    for (int d = 0; d < t.shape.rank(); ++d) shape.push_back(t.shape[d]);
    entry["shape"] = std::move(shape);
    entry["data_offsets"] = {offset, offset + t.bytes()};
    offset += t.bytes();
    header[t.name] = std::move(entry);
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("cannot encode the header (names must be UTF-8): ") +
                                e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

// Writes everything into the mapped temporary file at `fd`.
Status FillMapped(int fd, const std::string& tmp, const std::string& header, uint64_t total,
                  const std::vector<TensorToWrite>& tensors) {
  int err = ::posix_fallocate(fd, 0, static_cast<off_t>(total));
  if (err == EINVAL || err == EOPNOTSUPP) {
    // Filesystems without fallocate: a sparse file; a full disk then shows up later.
    err = ::ftruncate(fd, static_cast<off_t>(total)) == 0 ? 0 : errno;
  }
  if (err != 0)
    return ErrnoError("cannot allocate " + std::to_string(total) + " bytes for", tmp, err);
  void* map = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return ErrnoError("cannot mmap", tmp, errno);
  uint8_t* base = static_cast<uint8_t*>(map);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) base[i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(base + 8, header.data(), header.size());
  uint8_t* dst = base + 8 + header.size();
  Status status;
  for (const TensorToWrite& t : tensors) {
    try {
      t.fill(dst);
    } catch (...) {
      status = InternalError("the fill function of tensor '" + t.name + "' threw");
      break;
    }
    dst += t.bytes();
  }
  if (status.ok() && ::msync(map, total, MS_SYNC) != 0)
    status = ErrnoError("cannot sync", tmp, errno);
  ::munmap(map, total);
  return status;
}

}  // namespace

Status WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  CORGI_ASSIGN_OR_RETURN(uint64_t data_bytes, ValidateTensors(tensors));
  CORGI_ASSIGN_OR_RETURN(std::string header, BuildHeader(tensors, metadata));
  const uint64_t total = 8 + header.size() + data_bytes;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp, errno);
  Status status = FillMapped(fd, tmp, header, total, tensors);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("cannot flush", tmp, errno);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("cannot close", tmp, errno);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("cannot rename onto", path, errno);
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

Status WriteCheckpointTensors(const std::string& dir, const std::vector<TensorToWrite>& tensors,
                              size_t max_shard_bytes,
                              const std::map<std::string, std::string>& metadata) {
  if (max_shard_bytes == 0) return InvalidArgumentError("max_shard_bytes must be positive");
  CORGI_ASSIGN_OR_RETURN(uint64_t total, ValidateTensors(tensors));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create directory '" + dir + "': " + ec.message());
  // transformers refuses safetensors metadata without a known "format".
  std::map<std::string, std::string> shard_metadata = metadata;
  shard_metadata.emplace("format", "pt");
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (total <= max_shard_bytes) {
    // A stale index would shadow the new single file when the directory is opened.
    std::filesystem::remove(index_path, ec);
    return WriteSafetensors(dir + "/model.safetensors", tensors, shard_metadata);
  }
  // Greedy grouping in order: close a shard before a tensor would push it past the limit.
  std::vector<std::vector<TensorToWrite>> shards(1);
  uint64_t shard_bytes = 0;
  for (const TensorToWrite& t : tensors) {
    if (!shards.back().empty() && shard_bytes + t.bytes() > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(t);
    shard_bytes += t.bytes();
  }
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    CORGI_RETURN_IF_ERROR(WriteSafetensors(dir + "/" + name, shards[i], shard_metadata));
    for (const TensorToWrite& t : shards[i]) weight_map[t.name] = name;
  }
  nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  std::string text;
  try {
    text = index.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("cannot encode the index: ") + e.what());
  }
  return WriteFileAtomically(index_path, text);
}

}  // namespace corgi
