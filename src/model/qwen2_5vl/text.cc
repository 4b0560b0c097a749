#include "corgi/model/qwen2_5vl/text.h"

namespace corgi::qwen2_5vl {

Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvPagePool* kv, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer) {
  for (const float* level : batch.deepstack)
    if (level != nullptr) return InvalidArgumentError("Qwen2.5-VL has no DeepStack features");
  // Chunked M-RoPE; the q/k/v biases come with the weights, and there are no q/k norms.
  if (scratch->rope.inv_freq.empty()) scratch->rope = MakeMropeFrequencies(config.text);
  return ForwardPagedDecoder(MakeDecoderShape(config.text), weights, batch, kv, scratch, logits,
                             pool, observer);
}

}  // namespace corgi::qwen2_5vl
