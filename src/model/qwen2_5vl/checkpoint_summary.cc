#include "corgi/model/qwen2_5vl/checkpoint_summary.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "corgi/io/safetensors.h"
#include "corgi/model/qwen2_5vl/config.h"
#include "corgi/model/qwen2_5vl/weights.h"

namespace corgi::qwen2_5vl {
namespace {

// Peak f32 scratch of the vision tower for `patches` patches (vision.cc): the residual
// stream, the normed copy, qkv, the attention output, the rotary tables and the MLP
// hidden layer of one row chunk (2048 rows).
int64_t VisionActivationBytes(const VisionConfig& v, int64_t patches) {
  const int64_t per_patch = v.hidden_size * (1 + 1 + 3 + 1) + v.head_dim();
  const int64_t mlp = 2 * std::min<int64_t>(patches, 2048) * v.intermediate_size;
  return (patches * per_patch + mlp) * 4;
}

std::string List(const std::vector<int64_t>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "]";
}

std::vector<std::pair<std::string, std::string>> ShapeLines(const ModelConfig& c) {
  const TextConfig& t = c.text;
  const VisionConfig& v = c.vision;
  char rope[64];
  std::snprintf(rope, sizeof(rope), "%.0f", t.rope_theta);
  auto n = [](int64_t x) { return std::to_string(x); };
  return {
      {"text", n(t.num_hidden_layers) + " layers, hidden " + n(t.hidden_size) + ", heads " +
                   n(t.num_attention_heads) + " (kv " + n(t.num_key_value_heads) + ") x " +
                   n(t.head_dim) + ", mlp " + n(t.intermediate_size) + ", vocab " +
                   n(t.vocab_size) + ", rope theta " + rope + ", mrope " + List(t.mrope_section)},
      {"vision", n(v.depth) + " blocks, hidden " + n(v.hidden_size) + ", heads " + n(v.num_heads) +
                     ", mlp " + n(v.intermediate_size) + ", patch " + n(v.patch_size) + ", merge " +
                     n(v.spatial_merge_size) + ", window " + n(v.window_size) +
                     " px, full attention " + List(v.fullatt_block_indexes)}};
}

}  // namespace

StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& model_dir) {
  CheckpointSummary s;
  s.directory = model_dir;
  CORGI_ASSIGN_OR_RETURN(const ModelConfig config, LoadModelConfig(model_dir + "/config.json"));
  s.model_type = config.model_type;
  s.architecture = config.architecture;
  s.stored_dtype = config.torch_dtype;
  s.shape = ShapeLines(config);
  CORGI_ASSIGN_OR_RETURN(TensorStore store, TensorStore::Open(model_dir));
  CORGI_RETURN_IF_ERROR(ValidateCheckpoint(store, config, &s.unknown_tensors));

  s.lm_head_tied = config.tie_word_embeddings || FindWeight(store, "lm_head.weight") == nullptr;
  std::map<WeightPart, PartCount> parts;
  for (const WeightSpec& spec : WeightTable(config)) {
    const TensorInfo* info = FindWeight(store, spec.name);
    if (info == nullptr) continue;  // optional and absent (tied lm_head)
    s.dtype_tensors[DTypeName(info->dtype)] += 1;
    s.weight_bytes += static_cast<int64_t>(info->bytes);
    if (spec.part == WeightPart::kLmHead && s.lm_head_tied)
      continue;  // stored but unused: no parameters
    PartCount& p = parts[spec.part];
    p.part = WeightPartName(spec.part);
    p.parameters += info->shape.numel();
    p.tensors += 1;
    p.bytes += static_cast<int64_t>(info->bytes);
  }
  for (auto& [part, count] : parts) {
    s.parts.push_back(count);
    s.total_parameters += count.parameters;
    if (part == WeightPart::kVisionTower || part == WeightPart::kVisionMerger) {
      s.vision_parameters += count.parameters;
    } else {
      s.text_parameters += count.parameters;
    }
  }
  for (const std::string& path : store.file_paths()) {
    std::error_code ec;
    const int64_t size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    s.files.emplace_back(path, ec ? -1 : size);
    if (!ec) s.file_bytes += size;
  }
  const TextConfig& t = config.text;
  s.kv_bytes_per_token = 2 * t.num_hidden_layers * t.num_key_value_heads * t.head_dim * 4;
  // 1024x768 -> smart_resize to multiples of 28: 1036x756, a 74x54 patch grid.
  s.vision_activation_bytes_1024x768 = VisionActivationBytes(config.vision, 74 * 54);
  return s;
}

}  // namespace corgi::qwen2_5vl
