// The Qwen3-VL text decoder (spec §5): RMSNorm, q/k norm, GQA attention with
// interleaved M-RoPE, SwiGLU, DeepStack injection at image positions during prefill.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/io/model_config.h"
#include "corgi/model/qwen3vl/positions.h"
#include "corgi/model/qwen3vl/stage_observer.h"
#include "corgi/model/qwen3vl/weights.h"

namespace corgi::qwen3vl {

// Keys (after k_norm and RoPE) and values of one sequence, contiguous per layer:
// [layers][capacity, nkv*hd] float32. Owned by the engine; one per sequence.
// Not thread-safe.
class KvCache {
 public:
  KvCache(const TextConfig& config, int64_t capacity);
  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }          // rows filled
  void set_length(int64_t n) { length_ = n; }         // rewind (n <= length) or commit
  int64_t row_width() const { return row_width_; }    // nkv * head_dim
  float* keys(int64_t layer) { return data_.data() + (2 * layer) * capacity_ * row_width_; }
  float* values(int64_t layer) { return data_.data() + (2 * layer + 1) * capacity_ * row_width_; }
  size_t bytes() const { return data_.size() * sizeof(float); }

 private:
  int64_t capacity_, row_width_, length_ = 0;
  std::vector<float> data_;
};

// One forward step over S consecutive tokens of a sequence.
struct TextBatch {
  const float* embeds = nullptr;  // [S, D] input embeddings (image rows already spliced in)
  int64_t length = 0;             // S
  const int32_t* positions = nullptr;  // [3, S] (t, h, w rows)
  // DeepStack (prefill with images): rows of this batch that hold image tokens, in
  // order, and for each deepstack level k a [visual_rows.size(), D] block to add after
  // layer k. Empty for text-only steps and decode.
  std::span<const int64_t> visual_rows;
  std::vector<const float*> deepstack;
  // Rows for which to compute logits: [logits_from, S). S-1 for generation.
  int64_t logits_from = 0;
};

// Reusable scratch for ForwardText; grows to the largest S seen.
struct TextScratch {
  std::vector<float> h, norm, q, o, gate, up, cos, sin, angles;
  MropeFrequencies rope;  // filled on first use; the config never changes under a scratch
};

// Runs the decoder over `batch`, appending S rows to `cache` (which must have room:
// FailedPrecondition otherwise). Writes logits [S - logits_from, V] to `logits`.
// Stages observed: text.embeds [S,D], text.layer{i}.out [S,D], text.norm [S,D].
Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvCache* cache, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer = nullptr);

}  // namespace corgi::qwen3vl
