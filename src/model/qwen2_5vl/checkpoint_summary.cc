#include "corgi/model/qwen2_5vl/checkpoint_summary.h"

#include <algorithm>

#include "corgi/io/safetensors.h"
#include "corgi/model/qwen2_5vl/config.h"
#include "corgi/model/qwen2_5vl/weights.h"
#include "model/summary_tally.h"

namespace corgi::qwen2_5vl {
namespace {

using model_internal::DecoderShapeLine;
using model_internal::ListText;
using model_internal::SummarizeConfig;
using model_internal::TallyFiles;
using model_internal::TallyWeights;

// Peak f32 scratch of the vision tower for `patches` patches (vision.cc): the residual
// stream, the normed copy, qkv, the attention output, the rotary tables and the MLP
// hidden layer of one row chunk (2048 rows).
int64_t VisionActivationBytes(const VisionConfig& v, int64_t patches) {
  const int64_t per_patch = v.hidden_size * (1 + 1 + 3 + 1) + v.head_dim();
  const int64_t mlp = 2 * std::min<int64_t>(patches, 2048) * v.intermediate_size;
  return (patches * per_patch + mlp) * 4;
}

std::vector<std::pair<std::string, std::string>> ShapeLines(const ModelConfig& c) {
  const VisionConfig& v = c.vision;
  auto n = [](int64_t x) { return std::to_string(x); };
  return {
      {"text", DecoderShapeLine(c.text)},
      {"vision", n(v.depth) + " blocks, hidden " + n(v.hidden_size) + ", heads " + n(v.num_heads) +
                     ", mlp " + n(v.intermediate_size) + ", patch " + n(v.patch_size) + ", merge " +
                     n(v.spatial_merge_size) + ", window " + n(v.window_size) +
                     " px, full attention " + ListText(v.fullatt_block_indexes)}};
}

}  // namespace

StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& model_dir) {
  CheckpointSummary s;
  CORGI_ASSIGN_OR_RETURN(const ModelConfig config, LoadModelConfig(model_dir + "/config.json"));
  SummarizeConfig(model_dir, config, &s);
  s.shape = ShapeLines(config);
  CORGI_ASSIGN_OR_RETURN(TensorStore store, TensorStore::Open(model_dir));
  CORGI_RETURN_IF_ERROR(ValidateCheckpoint(store, config, &s.unknown_tensors));

  s.lm_head_tied = config.tie_word_embeddings || FindWeight(store, "lm_head.weight") == nullptr;
  // A tied checkpoint's stored lm_head is unused: its bytes count, its parameters not.
  TallyWeights(store, WeightTable(config), FindWeight, s.lm_head_tied, &s);
  TallyFiles(store, &s);
  // 1024x768 -> smart_resize to multiples of 28: 1036x756, a 74x54 patch grid.
  s.vision_activation_bytes_1024x768 = VisionActivationBytes(config.vision, 74 * 54);
  return s;
}

}  // namespace corgi::qwen2_5vl
