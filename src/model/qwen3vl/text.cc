#include "corgi/model/qwen3vl/text.h"

namespace corgi::qwen3vl {

Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvPagePool* kv, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer) {
  // Interleaved M-RoPE (spec §5.3); q/k norms and DeepStack (§5.2) come with the weights
  // and the batch.
  if (scratch->rope.inv_freq.empty()) scratch->rope = MakeMropeFrequencies(config.text);
  return ForwardPagedDecoder(MakeDecoderShape(config.text), weights, batch, kv, scratch, logits,
                             pool, observer);
}

}  // namespace corgi::qwen3vl
