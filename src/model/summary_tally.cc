#include "model/summary_tally.h"

#include <filesystem>
#include <map>

#include "corgi/model/weight_binding.h"

namespace corgi::model_internal {

void TallyWeights(const TensorStore& store, std::span<const WeightSpec> table, FindWeightFn find,
                  bool lm_head_unused, CheckpointSummary* s) {
  std::map<WeightPart, PartCount> parts;
  for (const WeightSpec& spec : table) {
    const TensorInfo* info = find(store, spec.name);
    if (info == nullptr) continue;  // optional and absent (tied lm_head)
    // The format the tensor holds (packed U8 reads as Q8/Q4); FP8 counts its scales too.
    StatusOr<DType> format = StoredFormat(store, *info, spec, find);
    const std::string name = DTypeName(format.ok() ? *format : info->dtype);
    int64_t bytes = static_cast<int64_t>(info->bytes);
    if (format.ok() && *format == DType::kF8E4M3) {
      if (const TensorInfo* scale = find(store, Fp8ScaleName(spec.name))) bytes += static_cast<int64_t>(scale->bytes);
    }
    s->dtype_tensors[name] += 1;
    s->weight_bytes += bytes;
    if (spec.part == WeightPart::kLmHead && lm_head_unused) continue;
    PartCount& p = parts[spec.part];
    p.part = WeightPartName(spec.part);
    p.parameters += spec.shape.numel();  // logical: packed tensors store bytes
    p.tensors += 1;
    p.bytes += bytes;
    p.format_bytes[name] += bytes;
  }
  for (const auto& [part, count] : parts) {
    s->parts.push_back(count);
    s->total_parameters += count.parameters;
    (IsVisionPart(part) ? s->vision_parameters : s->text_parameters) += count.parameters;
  }
}

void TallyFiles(const TensorStore& store, CheckpointSummary* s) {
  for (const std::string& path : store.file_paths()) {
    std::error_code ec;
    const int64_t size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    s->files.emplace_back(path, ec ? -1 : size);
    if (!ec) s->file_bytes += size;
  }
}

std::string ListText(const std::vector<int64_t>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "]";
}

}  // namespace corgi::model_internal
