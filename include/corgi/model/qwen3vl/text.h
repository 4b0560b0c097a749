// The Qwen3-VL text decoder (spec §5): the shared paged decoder (model/paged_decoder.h)
// with Qwen3-VL's parts — q/k RMSNorm per head, interleaved M-RoPE, DeepStack injection
// at image positions during prefill.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/qwen3vl/config.h"
#include "corgi/model/kv_pages.h"
#include "corgi/model/paged_decoder.h"
#include "corgi/model/text_batch.h"
#include "corgi/model/qwen3vl/positions.h"
#include "corgi/core/stage_observer.h"
#include "corgi/model/qwen3vl/weights.h"

namespace corgi::qwen3vl {

// Reusable scratch for ForwardText; grows to the largest step seen. Its own type, so a
// scratch (and the rotary table it caches) never crosses to another family's model.
struct TextScratch : DecoderScratch {};

// Runs the decoder over `batch`, appending each segment's rows to its sequence's pages in
// `kv` (FailedPrecondition when a sequence's pages lack room; InvalidArgument for an empty
// batch, a sequence listed twice, logit rows out of order or a pool of another shape).
// Writes logits [logit_rows.size(), V] to `logits`.
// Stages observed: text.embeds [S,D], text.layer{i}.out [S,D], text.norm [n,D] (logit rows).
Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvPagePool* kv, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer = nullptr);

}  // namespace corgi::qwen3vl
