#include "corgi/model/qwen3vl/checkpoint_summary.h"

#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/weights_table.h"
#include "model/summary_tally.h"

namespace corgi::qwen3vl {
namespace {

using model_internal::DecoderShapeLine;
using model_internal::ListText;
using model_internal::SummarizeConfig;
using model_internal::TallyFiles;
using model_internal::TallyWeights;

// Scratch for one image through the vision tower: the residual stream, the qkv
// projection and the MLP hidden layer for every patch, in f32 (attention is streamed).
int64_t VisionActivationBytes(const VisionConfig& v, int64_t patches) {
  const int64_t per_patch = v.hidden_size * 2 + 3 * v.hidden_size + v.intermediate_size;
  return patches * per_patch * 4;
}

std::vector<std::pair<std::string, std::string>> ShapeLines(const ModelConfig& c) {
  const VisionConfig& v = c.vision;
  auto n = [](int64_t x) { return std::to_string(x); };
  return {{"text", DecoderShapeLine(c.text) + (c.text.mrope_interleaved ? " interleaved" : "")},
          {"vision", n(v.depth) + " blocks, hidden " + n(v.hidden_size) + ", heads " + n(v.num_heads) + ", mlp " +
                         n(v.intermediate_size) + ", patch " + n(v.patch_size) + ", merge " +
                         n(v.spatial_merge_size) + ", deepstack " + ListText(v.deepstack_visual_indexes)}};
}

}  // namespace

StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& model_dir) {
  CheckpointSummary s;
  CORGI_ASSIGN_OR_RETURN(const ModelConfig config, LoadModelConfig(model_dir + "/config.json"));
  SummarizeConfig(model_dir, config, &s);
  s.shape = ShapeLines(config);
  CORGI_ASSIGN_OR_RETURN(TensorStore store, TensorStore::Open(model_dir));
  CORGI_RETURN_IF_ERROR(ValidateCheckpoint(store, config, &s.unknown_tensors));

  TallyWeights(store, WeightTable(config), FindWeight, /*lm_head_unused=*/false, &s);
  s.lm_head_tied = FindWeight(store, "lm_head.weight") == nullptr;
  TallyFiles(store, &s);
  // 1024x768 -> smart_resize 1024x768 (multiples of 32): a 64x48 patch grid.
  s.vision_activation_bytes_1024x768 = VisionActivationBytes(config.vision, 64 * 48);
  return s;
}

}  // namespace corgi::qwen3vl
