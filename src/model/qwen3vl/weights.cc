#include "corgi/model/qwen3vl/weights.h"

#include <string>

#include "corgi/model/qwen3vl/weights_table.h"
#include "model/qwen3vl/weight_walk.h"

namespace corgi::qwen3vl {

StatusOr<Weights> BindWeights(const TensorStore& store, const ModelConfig& config, WeightBinder* binder) {
  CORGI_RETURN_IF_ERROR(ValidateCheckpoint(store, config, nullptr));
  Weights w;
  const bool tied = config.tie_word_embeddings;
  WalkWeights(config, &w, [&](const WeightSpec& spec, TensorView* slot) {
    // A tied checkpoint uses the embedding even if it stores lm_head, as HF ties the two:
    // do not bind (or quantize) the stored one for nothing.
    if (!(tied && spec.part == WeightPart::kLmHead)) binder->BindInto(spec, slot);
  });
  CORGI_RETURN_IF_ERROR(binder->status());
  // The Conv3d kernel [Hv, C, T, P, P] read as a matrix [Hv, C*T*P*P] (spec §2.1).
  const VisionConfig& v = config.vision;
  TensorView& patch = w.vision.patch_embed.weight;
  patch.shape = Shape{v.hidden_size, v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size};
  patch.strides = ContiguousStrides(patch.shape);
  // Tied checkpoints use the embedding even if an lm_head tensor is stored, as HF ties
  // the two after loading (spec §2.3).
  if (config.tie_word_embeddings || w.text.lm_head.data == nullptr) w.text.lm_head = w.text.embed_tokens;
  return w;
}

}  // namespace corgi::qwen3vl
