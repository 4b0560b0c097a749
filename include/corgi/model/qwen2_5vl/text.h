// The Qwen2.5-VL text decoder (a Qwen2 decoder with M-RoPE), run by the shared paged
// decoder (model/paged_decoder.h): RMSNorm, q/k/v projections with biases, GQA attention
// over the paged KV cache with chunked (not interleaved) M-RoPE, SwiGLU MLP without
// biases, final RMSNorm and lm_head (or the tied embedding). No q/k norm and no DeepStack.
#pragma once

#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/kv_pages.h"
#include "corgi/model/paged_decoder.h"
#include "corgi/model/qwen2_5vl/config.h"
#include "corgi/model/qwen2_5vl/positions.h"
#include "corgi/model/qwen2_5vl/weights.h"
#include "corgi/core/stage_observer.h"
#include "corgi/model/text_batch.h"

namespace corgi::qwen2_5vl {

// Reusable scratch for ForwardText; grows to the largest step seen. Its own type, so a
// scratch (and the rotary table it caches) never crosses to another family's model.
struct TextScratch : DecoderScratch {};

// Runs the decoder over `batch`, appending each segment's rows to its sequence's pages in
// `kv` (a pool with the config's layers and kv_heads * head_dim row width). Writes logits
// [logit_rows.size(), V] to `logits`. Errors: InvalidArgument for an empty batch, a
// sequence listed twice, logit rows out of order, DeepStack features (this family has
// none) or a pool of another shape; FailedPrecondition when a sequence's pages lack room.
// Stages observed: text.embeds [S,D], text.layer{i}.out [S,D], text.norm [n,D] (logit rows).
Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvPagePool* kv, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer = nullptr);

}  // namespace corgi::qwen2_5vl
