#include "corgi/model/quantize_checkpoint.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "corgi/backend/ops.h"
#include "corgi/core/json_scan.h"
#include "corgi/core/mapped_file.h"
#include "corgi/core/quant_format.h"
#include "corgi/core/read_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/registry.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

// config.json with corgi's quantization_config added.
StatusOr<std::string> QuantizedConfigJson(const std::string& in_dir, WeightsMode mode,
                                          const std::map<std::string, int64_t>& formats) {
  const std::string path = in_dir + "/config.json";
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(text, path));
  nlohmann::ordered_json root = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return InvalidArgumentError(path + ": not a JSON object");
  if (root.contains("quantization_config")) {
    const auto& q = root["quantization_config"];
    const std::string method =
        q.is_object() && q.contains("quant_method") && q["quant_method"].is_string() ? q["quant_method"].get<std::string>() : "?";
    return FailedPreconditionError(path + ": the checkpoint is already quantized (quant_method '" + method +
                                   "'); corgi quantize needs a float checkpoint");
  }
  nlohmann::ordered_json q;
  q["quant_method"] = "corgi";
  q["format_version"] = kCorgiFormatVersion;
  q["weights"] = WeightsModeName(mode);
  q["panel_rows"] = quant::kPanelRows;
  q["block_k"] = quant::kBlockK;
  q["scale_dtype"] = "float16";
  q["formats"] = formats;
  root["quantization_config"] = q;
  return root.dump(2) + "\n";
}

bool IsTensorFile(const std::string& name) {
  return name.ends_with(".safetensors") || name == "model.safetensors.index.json";
}

}  // namespace

StatusOr<QuantizeReport> QuantizeCheckpoint(const std::string& in_dir, const std::string& out_dir,
                                            WeightsMode mode, ThreadPool* pool, bool decoded) {
  if (mode == WeightsMode::kAsStored) return InvalidArgumentError("quantize: choose q8 or q4");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && fs::equivalent(in_dir, out_dir, ec)) {
    return InvalidArgumentError("quantize: the output directory is the input directory '" + in_dir + "'");
  }
  // An already quantized input says so by its config before any tensor is looked at.
  CORGI_RETURN_IF_ERROR(QuantizedConfigJson(in_dir, mode, {}).status());
  CORGI_ASSIGN_OR_RETURN(const ModelFamily* family, FamilyOfCheckpoint(in_dir));
  CORGI_ASSIGN_OR_RETURN(const std::vector<WeightSpec> table, family->weight_table(in_dir));
  CORGI_ASSIGN_OR_RETURN(TensorStore store, TensorStore::Open(in_dir));
  CORGI_RETURN_IF_ERROR(ValidateWeights(store, table, family->find_weight, nullptr));

  std::map<std::string, const WeightSpec*> spec_of;  // stored name -> spec
  for (const WeightSpec& spec : table) {
    if (const TensorInfo* info = family->find_weight(store, spec.name)) spec_of[info->name] = &spec;
  }
  const int64_t layers = TextLayerCount(table);
  QuantizeReport report;
  std::map<std::string, int64_t> formats;
  std::vector<TensorToWrite> tensors;
  for (const TensorInfo& info : store.tensors()) {
    TensorToWrite t;
    t.name = info.name;
    const TensorView view = store.View(info);
    auto it = spec_of.find(info.name);
    const std::optional<DType> format = it != spec_of.end() ? PlannedFormat(mode, *it->second, layers) : std::nullopt;
    report.bytes_in += static_cast<int64_t>(info.bytes);
    if (format && (info.dtype == DType::kF32 || info.dtype == DType::kBF16 || info.dtype == DType::kF16)) {
      const TensorView matrix = MatrixView(view, *it->second);
      const DType f = *format;
      const Shape packed{quant::Panels(matrix.shape[0]), quant::PanelBytes(f, matrix.shape[1])};
      if (decoded) {
        t.dtype = DType::kF32;
        t.shape = info.shape;
        t.fill = [matrix, f, packed, pool](uint8_t* dst) {
          std::vector<uint8_t> bytes(static_cast<size_t>(packed.numel()));
          ops::QuantizeWeights(matrix, f, bytes.data(), pool);
          const TensorView q(bytes.data(), f, matrix.shape);
          float* out = reinterpret_cast<float*>(dst);
          for (int64_t n = 0; n < matrix.shape[0]; ++n) ops::DequantizeRow(q, n, out + n * matrix.shape[1]);
        };
      } else {
        t.dtype = DType::kU8;
        t.shape = packed;
        t.fill = [matrix, f, pool](uint8_t* dst) { ops::QuantizeWeights(matrix, f, dst, pool); };
      }
      formats[DTypeName(f)] += 1;
      report.tensors_quantized += 1;
    } else {
      if (info.dtype == DType::kF8E4M3 || info.dtype == DType::kU8) {
        return FailedPreconditionError(info.name + ": stored as " + DTypeName(info.dtype) +
                                       "; corgi quantize needs a float checkpoint");
      }
      t.dtype = info.dtype;
      t.shape = info.shape;
      const size_t bytes = info.bytes;
      t.fill = [view, bytes](uint8_t* dst) { std::memcpy(dst, view.data, bytes); };
      report.tensors_copied += 1;
    }
    report.bytes_out += static_cast<int64_t>(t.bytes());
    tensors.push_back(std::move(t));
  }
  std::string config;
  if (decoded) {
    CORGI_ASSIGN_OR_RETURN(config, ReadFileToString(in_dir + "/config.json"));
  } else {
    CORGI_ASSIGN_OR_RETURN(config, QuantizedConfigJson(in_dir, mode, formats));
  }
  fs::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create '" + out_dir + "': " + ec.message());
  CORGI_RETURN_IF_ERROR(WriteCheckpointTensors(out_dir, tensors, 4000000000ull, {{decoded ? "corgi_decoded_weights" : "corgi_weights", WeightsModeName(mode)}}));
  for (const fs::directory_entry& entry : fs::directory_iterator(in_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || IsTensorFile(name) || name == "config.json") continue;
    CORGI_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(entry.path().string()));
    CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/" + name, bytes));
  }
  if (ec) return IoError("cannot list '" + in_dir + "': " + ec.message());
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/config.json", config));
  return report;
}

}  // namespace corgi
