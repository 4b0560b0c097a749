// One forward step of a text decoder over the paged KV cache, in the form every model
// family takes it (LoadedModel::ForwardText).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/model/kv_pages.h"

namespace corgi {

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
  // Per-layer visual features (Qwen3-VL's DeepStack; empty for families without them):
  // rows of this batch that hold image tokens, in order, and for each level k a
  // [visual_rows.size(), D] block the decoder adds after layer k. Empty for text-only
  // steps and decode.
  std::span<const int64_t> visual_rows;
  std::vector<const float*> deepstack;
  // Rows for which to compute logits, ascending; logits are written [n, V] in this order.
  std::span<const int64_t> logit_rows;

  int64_t length() const {
    int64_t n = 0;
    for (const TextSegment& s : segments) n += s.rows;
    return n;
  }
};

// A family's reusable scratch for ForwardText (grows to the largest step seen). Owned by
// the caller, used by one step at a time.
class TextScratch {
 public:
  virtual ~TextScratch() = default;
};

}  // namespace corgi
