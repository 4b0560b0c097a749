#include "corgi/model/fp8_synthetic.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/fp8_config.h"
#include "corgi/model/fp8_weights.h"
#include "io/json_util.h"

namespace corgi {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWeightSuffix = ".weight";

bool StartsWith(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ModuleOf(const std::string& weight_name) {
  return weight_name.substr(0, weight_name.size() - kWeightSuffix.size());
}

// A rank-2 ".weight" that is a linear layer's (embedding tables are not).
bool IsLinearWeight(const std::string& name, int rank) {
  if (rank != 2 || !EndsWith(name, kWeightSuffix)) return false;
  const std::string module = ModuleOf(name);
  return !EndsWith(module, "embed_tokens") && !EndsWith(module, "pos_embed");
}

bool IsVision(const std::string& name) { return StartsWith(name, "model.visual.") || StartsWith(name, "visual."); }

bool IsFloat(DType d) { return d == DType::kF32 || d == DType::kBF16 || d == DType::kF16; }

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The FP8 weight and its scales, filled in order: the weight's fill quantizes band by band
// and keeps the scales for the scale tensor's fill, which the writer calls next.
void AddFp8Tensors(const TensorStore& store, const TensorInfo& info, const Fp8WriteOptions& o,
                   std::vector<TensorToWrite>* out) {
  const TensorView src = store.View(info);
  const int64_t n = info.shape[0], k = info.shape[1];
  const int64_t scale_rows = CeilDiv(n, o.block_n), scale_cols = CeilDiv(k, o.block_k);
  auto scales = std::make_shared<std::vector<float>>(static_cast<size_t>(scale_rows * scale_cols));
  const int64_t block_n = o.block_n, block_k = o.block_k;
  out->push_back({info.name, DType::kF8E4M3, info.shape, [src, n, k, block_n, block_k, scale_cols, scales](uint8_t* dst) {
                    std::vector<float> band(static_cast<size_t>(block_n * k));
                    const size_t element = DTypeSize(src.dtype);
                    for (int64_t r0 = 0; r0 < n; r0 += block_n) {
                      const int64_t rows = std::min(block_n, n - r0);
                      ops::ConvertToF32(static_cast<const uint8_t*>(src.data) + r0 * k * element, src.dtype,
                                        rows * k, band.data());
                      QuantizeFp8Band(band.data(), rows, k, block_k, dst + r0 * k,
                                      scales->data() + (r0 / block_n) * scale_cols);
                    }
                  }});
  out->push_back({Fp8ScaleName(info.name), DType::kF32, Shape{scale_rows, scale_cols}, [scales](uint8_t* dst) {
                    std::memcpy(dst, scales->data(), scales->size() * sizeof(float));
                  }});
}

Status CopyOtherFiles(const std::string& in_dir, const std::string& out_dir) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(in_dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || file == "config.json" || file == "model.safetensors.index.json" ||
        EndsWith(file, ".safetensors")) {
      continue;
    }
    fs::copy_file(entry.path(), fs::path(out_dir) / file, fs::copy_options::overwrite_existing, ec);
    if (ec) return IoError("cannot copy " + entry.path().string() + " to " + out_dir + ": " + ec.message());
  }
  if (ec) return IoError("cannot list " + in_dir + ": " + ec.message());
  return Status::Ok();
}

Status WriteConfig(const std::string& in_dir, const std::string& out_dir, const Fp8WriteOptions& o,
                   const std::vector<std::string>& kept_linears) {
  const std::string path = in_dir + "/config.json";
  CORGI_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  nlohmann::json config;
  CORGI_RETURN_IF_ERROR(io_internal::ParseJson(text, path, /*reject_duplicate_keys=*/true, &config));
  if (!config.is_object()) return InvalidArgumentError(path + ": must be a JSON object");
  if (config.contains("quantization_config")) {
    return InvalidArgumentError(path + ": the checkpoint is already quantized (it has a quantization_config)");
  }
  nlohmann::json modules = nlohmann::json::array({"lm_head"});
  for (const std::string& module : kept_linears) modules.push_back(module);
  config["quantization_config"] = {{"activation_scheme", "dynamic"},
                                   {"fmt", "e4m3"},
                                   {"quant_method", "fp8"},
                                   {"weight_block_size", {o.block_n, o.block_k}},
                                   {"modules_to_not_convert", modules}};
  return WriteFileAtomically(out_dir + "/config.json", config.dump(2) + "\n");
}

}  // namespace

bool IsFp8Target(const std::string& name, int rank, bool quantize_vision) {
  if (!IsLinearWeight(name, rank) || ModuleOf(name) == "lm_head") return false;
  return quantize_vision || !IsVision(name);
}

Status WriteFp8Checkpoint(const std::string& in_dir, const std::string& out_dir, const Fp8WriteOptions& options) {
  if (options.block_n <= 0 || options.block_k <= 0) {
    return InvalidArgumentError("FP8 block size must be positive, got [" + std::to_string(options.block_n) + ", " +
                                std::to_string(options.block_k) + "]");
  }
  std::error_code ec;
  if (fs::exists(out_dir, ec) && fs::equivalent(in_dir, out_dir, ec)) {
    return InvalidArgumentError("the FP8 checkpoint must go to another directory than its input " + in_dir);
  }
  CORGI_ASSIGN_OR_RETURN(const TensorStore store, TensorStore::Open(in_dir));
  std::vector<TensorToWrite> tensors;
  std::vector<std::string> kept_linears;
  for (const TensorInfo& info : store.tensors()) {
    if (IsFp8Target(info.name, info.shape.rank(), options.quantize_vision)) {
      if (!IsFloat(info.dtype)) {
        return InvalidArgumentError(info.name + " is " + DTypeName(info.dtype) +
                                    "; only F32, BF16 and F16 weights can be converted to FP8");
      }
      AddFp8Tensors(store, info, options, &tensors);
      continue;
    }
    if (IsLinearWeight(info.name, info.shape.rank()) && ModuleOf(info.name) != "lm_head") {
      kept_linears.push_back(ModuleOf(info.name));
    }
    const TensorView src = store.View(info);
    tensors.push_back({info.name, info.dtype, info.shape,
                       [src](uint8_t* dst) { std::memcpy(dst, src.data, src.bytes()); }});
  }
  fs::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create " + out_dir + ": " + ec.message());
  try {
    CORGI_RETURN_IF_ERROR(WriteConfig(in_dir, out_dir, options, kept_linears));
  } catch (const std::exception& e) {  // nlohmann's dump on invalid UTF-8 in the input
    return InvalidArgumentError(in_dir + "/config.json: " + e.what());
  }
  CORGI_RETURN_IF_ERROR(CopyOtherFiles(in_dir, out_dir));
  return WriteCheckpointTensors(out_dir, tensors, options.max_shard_bytes);
}

}  // namespace corgi
