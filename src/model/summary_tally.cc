#include "model/summary_tally.h"

#include <filesystem>
#include <map>

namespace corgi::model_internal {

void TallyTensors(std::span<const SummaryTensor> tensors, CheckpointSummary* s) {
  std::map<int, PartCount> parts;
  std::map<int, bool> vision;
  for (const SummaryTensor& t : tensors) {
    s->dtype_tensors[DTypeName(t.info->dtype)] += 1;
    s->weight_bytes += static_cast<int64_t>(t.info->bytes);
    if (!t.parameters) continue;
    PartCount& p = parts[t.part_rank];
    p.part = t.part_name;
    p.parameters += t.info->shape.numel();
    p.tensors += 1;
    p.bytes += static_cast<int64_t>(t.info->bytes);
    vision[t.part_rank] = t.vision;
  }
  for (auto& [rank, count] : parts) {
    s->parts.push_back(count);
    s->total_parameters += count.parameters;
    (vision[rank] ? s->vision_parameters : s->text_parameters) += count.parameters;
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
