// The Qwen3-VL text decoder (spec §5): RMSNorm, q/k norm, GQA attention with
// interleaved M-RoPE, SwiGLU, DeepStack injection at image positions during prefill.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/io/model_config.h"
#include "corgi/model/qwen3vl/kv_pages.h"
#include "corgi/model/qwen3vl/positions.h"
#include "corgi/model/qwen3vl/stage_observer.h"
#include "corgi/model/qwen3vl/weights.h"

namespace corgi::qwen3vl {

// A segment of a forward step: `rows` consecutive tokens of one sequence, appended to
// its KV at kv->length. The sequence's pages must already cover kv->length + rows.
struct TextSegment {
  KvSequence* kv = nullptr;
  int64_t rows = 0;
};

// One forward step over S rows: one or more segments, each from a different sequence
// (a prefill chunk of one sequence, or one decode token of each of B sequences). Every
// row's result depends only on its own sequence (batch-invariant kernels), so a
// sequence's logits are bitwise the same alone or in a batch.
struct TextBatch {
  const float* embeds = nullptr;       // [S, D] input embeddings (image rows already spliced in)
  const int32_t* positions = nullptr;  // [3, S] (t, h, w rows)
  std::vector<TextSegment> segments;   // in row order; S = Σ rows
  // DeepStack (prefill with images): rows of this batch that hold image tokens, in
  // order, and for each deepstack level k a [visual_rows.size(), D] block to add after
  // layer k. Empty for text-only steps and decode.
  std::span<const int64_t> visual_rows;
  std::vector<const float*> deepstack;
  // Rows for which to compute logits, ascending; logits are written [n, V] in this order.
  std::span<const int64_t> logit_rows;

  int64_t length() const;
};

// Reusable scratch for ForwardText; grows to the largest S seen.
struct TextScratch {
  std::vector<float> h, norm, q, k, v, o, gate, up, cos, sin, angles;
  std::vector<const float*> key_pages, value_pages;  // one sequence's pages for one layer
  MropeFrequencies rope;  // filled on first use; the config never changes under a scratch
};

// Runs the decoder over `batch`, appending each segment's rows to its sequence's pages in
// `kv` (FailedPrecondition when a sequence's pages lack room; InvalidArgument for an empty
// batch or a sequence listed twice). Writes logits [logit_rows.size(), V] to `logits`.
// Stages observed: text.embeds [S,D], text.layer{i}.out [S,D], text.norm [n,D] (logit rows).
Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvPagePool* kv, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer = nullptr);

}  // namespace corgi::qwen3vl
