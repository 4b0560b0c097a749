#include "corgi/model/qwen3vl/checkpoint_summary.h"

#include <cstdio>
#include <filesystem>

#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {
namespace {

// Scratch for one image through the vision tower: the residual stream, the qkv
// projection and the MLP hidden layer for every patch, in f32 (attention is streamed).
int64_t VisionActivationBytes(const VisionConfig& v, int64_t patches) {
  const int64_t per_patch = v.hidden_size * 2 + 3 * v.hidden_size + v.intermediate_size;
  return patches * per_patch * 4;
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
  return {{"text", n(t.num_hidden_layers) + " layers, hidden " + n(t.hidden_size) + ", heads " +
                       n(t.num_attention_heads) + " (kv " + n(t.num_key_value_heads) + ") x " + n(t.head_dim) +
                       ", mlp " + n(t.intermediate_size) + ", vocab " + n(t.vocab_size) + ", rope theta " + rope +
                       ", mrope " + List(t.mrope_section) + (t.mrope_interleaved ? " interleaved" : "")},
          {"vision", n(v.depth) + " blocks, hidden " + n(v.hidden_size) + ", heads " + n(v.num_heads) + ", mlp " +
                         n(v.intermediate_size) + ", patch " + n(v.patch_size) + ", merge " +
                         n(v.spatial_merge_size) + ", deepstack " + List(v.deepstack_visual_indexes)}};
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

  std::map<WeightPart, PartCount> parts;
  for (const WeightSpec& spec : WeightTable(config)) {
    const TensorInfo* info = FindWeight(store, spec.name);
    if (info == nullptr) continue;  // optional and absent (tied lm_head)
    PartCount& p = parts[spec.part];
    p.part = WeightPartName(spec.part);
    p.parameters += info->shape.numel();
    p.tensors += 1;
    p.bytes += static_cast<int64_t>(info->bytes);
    s.dtype_tensors[DTypeName(info->dtype)] += 1;
    s.weight_bytes += static_cast<int64_t>(info->bytes);
  }
  s.lm_head_tied = FindWeight(store, "lm_head.weight") == nullptr;
  for (auto& [part, count] : parts) {
    s.parts.push_back(count);
    s.total_parameters += count.parameters;
    if (part == WeightPart::kVisionTower || part == WeightPart::kVisionMerger || part == WeightPart::kDeepStack) {
      s.vision_parameters += count.parameters;
    } else {
      s.text_parameters += count.parameters;
    }
  }
  for (const std::string& path : store.file_paths()) {
    std::error_code ec;
    int64_t size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    s.files.emplace_back(path, ec ? -1 : size);
    if (!ec) s.file_bytes += size;
  }
  const TextConfig& t = config.text;
  s.kv_bytes_per_token = 2 * t.num_hidden_layers * t.num_key_value_heads * t.head_dim * 4;
  // 1024x768 -> smart_resize 1024x768 (multiples of 32): a 64x48 patch grid.
  s.vision_activation_bytes_1024x768 = VisionActivationBytes(config.vision, 64 * 48);
  return s;
}

}  // namespace corgi::qwen3vl
