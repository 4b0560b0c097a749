#include "corgi/model/weight_binding.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "corgi/backend/ops.h"
#include "corgi/core/json_scan.h"
#include "corgi/core/mapped_file.h"
#include "corgi/model/fp8_weights.h"
#include "corgi/core/quant_format.h"

namespace corgi {
namespace {

bool IsFloat(DType t) { return t == DType::kF32 || t == DType::kBF16 || t == DType::kF16; }

}  // namespace

const char* WeightsModeName(WeightsMode mode) {
  switch (mode) {
    case WeightsMode::kAsStored:
      return "none";
    case WeightsMode::kQ8:
      return "q8";
    case WeightsMode::kQ4:
      return "q4";
  }
  return "?";
}

StatusOr<WeightsMode> ParseWeightsMode(std::string_view text) {
  if (text.empty() || text == "none" || text == "as-stored") return WeightsMode::kAsStored;
  if (text == "q8") return WeightsMode::kQ8;
  if (text == "q4") return WeightsMode::kQ4;
  return InvalidArgumentError("weights '" + std::string(text) + "' is not one of none, q8, q4");
}

Shape MatrixShape(const WeightSpec& spec) {
  if (spec.shape.rank() <= 2) return spec.shape;
  return Shape{spec.shape[0], spec.shape.numel() / spec.shape[0]};
}

TensorView MatrixView(const TensorView& stored, const WeightSpec& spec) {
  TensorView matrix = stored;
  matrix.shape = MatrixShape(spec);
  matrix.strides = ContiguousStrides(matrix.shape);
  return matrix;
}

bool IsQuantizable(const WeightSpec& spec) {
  return spec.init == WeightInit::kLinear || spec.init == WeightInit::kEmbedding;
}

namespace {

// N of "...layers.N...." in a tensor name, or -1.
int64_t LayerIndex(const std::string& name) {
  const size_t at = name.find("layers.");
  if (at == std::string::npos) return -1;
  int64_t n = -1;
  for (size_t i = at + 7; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i)
    n = (n < 0 ? 0 : n * 10) + (name[i] - '0');
  return n;
}

}  // namespace

bool MoreBitsLayer(int64_t layer, int64_t text_layers) {
  const int64_t eighth = text_layers / 8;
  return layer < eighth || layer >= text_layers - eighth || (layer - eighth) % 3 == 2;
}

int64_t TextLayerCount(std::span<const WeightSpec> table) {
  int64_t layers = 0;
  for (const WeightSpec& spec : table)
    if (spec.part == WeightPart::kTextDecoder) layers = std::max(layers, LayerIndex(spec.name) + 1);
  return layers;
}

std::optional<DType> PlannedFormat(WeightsMode mode, const WeightSpec& spec, int64_t text_layers) {
  if (mode == WeightsMode::kAsStored || !IsQuantizable(spec)) return std::nullopt;
  if (mode == WeightsMode::kQ4 && (spec.part == WeightPart::kEmbedding || spec.part == WeightPart::kLmHead)) {
    return DType::kQ6;
  }
  if (mode == WeightsMode::kQ4 && spec.part == WeightPart::kTextDecoder) {
    const bool sensitive = spec.name.find("v_proj.") != std::string::npos ||
                           spec.name.find("down_proj.") != std::string::npos;
    const int64_t layer = LayerIndex(spec.name);
    return sensitive && layer >= 0 && MoreBitsLayer(layer, text_layers) ? DType::kQ6 : DType::kQ4;
  }
  return DType::kQ8;
}

StatusOr<DType> StoredFormat(const TensorStore& store, const TensorInfo& info, const WeightSpec& spec,
                             FindWeightFn find) {
  if (IsFloat(info.dtype)) {
    if (info.shape != spec.shape) {
      return InvalidArgumentError(info.name + ": shape " + info.shape.ToString() + " in checkpoint, " +
                                  spec.shape.ToString() + " expected from config.json");
    }
    return info.dtype;
  }
  if (!IsQuantizable(spec)) {
    return UnimplementedError(info.name + ": dtype " + DTypeName(info.dtype) +
                              " is not supported for this tensor (F32, BF16, F16)");
  }
  const Shape m = MatrixShape(spec);
  if (info.dtype == DType::kU8) {
    // The packed row length differs between the formats for every K (quant_format.h).
    std::string expected;
    for (DType format : {DType::kQ8, DType::kQ6, DType::kQ4}) {
      const Shape packed{quant::Panels(m[0]), quant::PanelBytes(format, m[1])};
      if (info.shape == packed) return format;
      expected += std::string(expected.empty() ? "" : ", ") + DTypeName(format) + " " + packed.ToString();
    }
    return InvalidArgumentError(info.name + ": packed shape " + info.shape.ToString() + " fits none of " + expected +
                                " for the weight " + spec.shape.ToString() + " expected from config.json");
  }
  if (info.dtype == DType::kF8E4M3) {
    if (info.shape != spec.shape) {
      return InvalidArgumentError(info.name + ": shape " + info.shape.ToString() + " in checkpoint, " +
                                  spec.shape.ToString() + " expected from config.json");
    }
    if (find(store, Fp8ScaleName(spec.name)) == nullptr) {
      return NotFoundError(info.name + ": an F8_E4M3 weight without its scale tensor " + Fp8ScaleName(spec.name));
    }
    return DType::kF8E4M3;
  }
  return UnimplementedError(info.name + ": dtype " + DTypeName(info.dtype) +
                            " is not supported (F32, BF16, F16, corgi's packed U8, F8_E4M3)");
}

StatusOr<std::optional<Fp8Config>> ReadQuantizationConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  CORGI_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(text, path));
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return InvalidArgumentError(path + ": not a JSON object");
  auto it = root.find("quantization_config");
  if (it == root.end() || it->is_null()) return std::optional<Fp8Config>();
  if (!it->is_object()) return InvalidArgumentError(path + ": quantization_config must be an object");
  auto method = it->find("quant_method");
  if (method == it->end() || !method->is_string()) {
    return InvalidArgumentError(path + ": quantization_config.quant_method must be a string");
  }
  const std::string name = method->get<std::string>();
  if (name == "corgi") {
    auto version = it->find("format_version");
    if (version == it->end() || !version->is_number_integer() || version->get<int64_t>() != kCorgiFormatVersion) {
      return FailedPreconditionError(path + ": quantization_config.format_version " +
                                     (version == it->end() ? std::string("(missing)") : version->dump()) +
                                     " is not this corgi's packed layout " + std::to_string(kCorgiFormatVersion) +
                                     "; quantize the float checkpoint again with corgi quantize");
    }
    return std::optional<Fp8Config>();
  }
  if (name == "fp8") {
    CORGI_ASSIGN_OR_RETURN(Fp8Config fp8, ParseFp8QuantizationConfig(*it, path));
    return std::optional<Fp8Config>(fp8);
  }
  return UnimplementedError(path + ": quantization_config.quant_method '" + name +
                            "' is not supported (corgi runs float checkpoints, its own 'corgi' quantized ones "
                            "and Qwen's 'fp8' releases)");
}

WeightBinder::WeightBinder(const TensorStore& store, FindWeightFn find, WeightsMode mode, ThreadPool* pool)
    : store_(store), find_(find), mode_(mode), pool_(pool) {}

StatusOr<std::unique_ptr<WeightBinder>> WeightBinder::ForCheckpoint(const std::string& dir, const TensorStore& store,
                                                                     FindWeightFn find, const LoadOptions& options,
                                                                     int64_t text_layers) {
  auto binder = std::make_unique<WeightBinder>(store, find, options.weights, options.pool);
  CORGI_ASSIGN_OR_RETURN(const std::optional<Fp8Config> fp8, ReadQuantizationConfig(dir));
  if (fp8) binder->set_fp8(*fp8);
  binder->set_text_layers(text_layers);
  binder->set_dequantize_fp8(options.dequantize_fp8);
  return binder;
}

void WeightBinder::Finish(std::vector<AlignedBuffer>* owned, std::string* formats, Hash128* identity) {
  *owned = std::move(buffers_);
  *formats = DescribeFormats(bytes_by_format_);
  if (mode_ == WeightsMode::kAsStored) return;
  Hasher h;
  h.UpdatePod(*identity);
  h.Update(WeightsModeName(mode_));
  *identity = h.Finish();
}

StatusOr<TensorView> WeightBinder::Bind(const WeightSpec& spec) {
  StatusOr<TensorView> view = BindView(spec);
  if (view.ok() && view->data != nullptr) bytes_by_format_[DTypeName(view->dtype)] += static_cast<int64_t>(view->bytes());
  return view;
}

void WeightBinder::BindInto(const WeightSpec& spec, TensorView* slot) {
  if (!first_error_.ok()) return;
  StatusOr<TensorView> view = Bind(spec);  // absent optional tensors: empty views
  if (view.ok()) *slot = *view;
  else first_error_ = view.status();
}

StatusOr<TensorView> WeightBinder::BindView(const WeightSpec& spec) {
  const TensorInfo* info = find_(store_, spec.name);
  if (info == nullptr) {
    if (!spec.required) return TensorView();
    return NotFoundError("checkpoint lacks tensor " + spec.name);
  }
  CORGI_ASSIGN_OR_RETURN(const DType stored, StoredFormat(store_, *info, spec, find_));
  TensorView view = store_.View(*info);
  const std::optional<DType> planned = PlannedFormat(mode_, spec, text_layers_);
  if (IsBlockQuantized(stored)) {
    if (planned && *planned != stored) {
      return FailedPreconditionError(info->name + " is stored as " + DTypeName(stored) + "; --weights " +
                                     WeightsModeName(mode_) + " needs a float checkpoint");
    }
    view.dtype = stored;
    return MatrixView(view, spec);
  }
  if (stored == DType::kF8E4M3) {
    if (!fp8_) {
      return InvalidArgumentError(info->name + ": an F8_E4M3 weight, but config.json has no fp8 quantization_config");
    }
    if (mode_ == WeightsMode::kQ4) {
      return FailedPreconditionError(info->name + " is stored as F8_E4M3, which runs as Q8; --weights q4 "
                                     "needs a float checkpoint");
    }
    // FP8 runs as Q8: both are 8-bit with block scales; the conversion streams panel by panel.
    const TensorInfo* scale = find_(store_, Fp8ScaleName(spec.name));
    const TensorView weight = MatrixView(view, spec);
    const Shape m = weight.shape;
    if (dequantize_fp8_) {
      AlignedBuffer& f32 = buffers_.emplace_back(static_cast<size_t>(m.numel()) * sizeof(float));
      CORGI_RETURN_IF_ERROR(DequantizeFp8(info->name, weight, store_.View(*scale), fp8_->block_n, fp8_->block_k,
                                          f32.as<float>()));
      return TensorView(f32.data(), DType::kF32, m);
    }
    AlignedBuffer& buffer = buffers_.emplace_back(static_cast<size_t>(quant::PackedBytes(DType::kQ8, m[0], m[1])));
    CORGI_RETURN_IF_ERROR(ConvertFp8ToQ8(info->name, weight, store_.View(*scale), fp8_->block_n, fp8_->block_k,
                                         buffer.data(), pool_));
    return TensorView(buffer.data(), DType::kQ8, m);
  }
  if (!planned) return view;
  return Quantize(view, spec, *planned);
}

StatusOr<TensorView> WeightBinder::Quantize(const TensorView& stored, const WeightSpec& spec, DType format) {
  const TensorView matrix = MatrixView(stored, spec);
  const Shape m = matrix.shape;
  AlignedBuffer& buffer = buffers_.emplace_back(static_cast<size_t>(quant::PackedBytes(format, m[0], m[1])));
  ops::QuantizeWeights(matrix, format, buffer.data(), pool_);
  return TensorView(buffer.data(), format, m);
}

std::string DescribeFormats(const std::map<std::string, int64_t>& bytes_by_format) {
  std::vector<std::pair<int64_t, std::string>> sorted;
  for (const auto& [name, bytes] : bytes_by_format) sorted.emplace_back(bytes, name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::string out;
  char buf[64];
  for (const auto& [bytes, name] : sorted) {
    std::snprintf(buf, sizeof(buf), "%s %.2f GB", name.c_str(), static_cast<double>(bytes) / 1e9);
    out += (out.empty() ? "" : ", ") + std::string(buf);
  }
  return out;
}

}  // namespace corgi
