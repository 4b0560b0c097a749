// The text decoder stack the Qwen-VL families share, run over the paged KV cache: per
// layer RMSNorm, q/k/v projections (with the biases the weights carry), optional per-head
// q/k RMSNorm, M-RoPE, GQA attention over each sequence's pages, o_proj, residual, then
// the SwiGLU MLP sublayer; after layer k, per-layer additive features (DeepStack) at the
// batch's visual rows; final RMSNorm and lm_head on the logit rows.
//
// A family supplies what is its own: the bound weights (DecoderWeights, q_norm/k_norm
// empty when it has none), its rotary table (scratch->rope, MropeFrequencies) and any
// batch checks of its own (a family without DeepStack rejects deepstack features).
//
// Thread-safety: the weights are shared read-only; one DecoderScratch and one KvPagePool
// serve one call at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/decoder_weights.h"
#include "corgi/model/kv_pages.h"
#include "corgi/model/mrope_rotary.h"
#include "corgi/core/stage_observer.h"
#include "corgi/model/text_batch.h"

namespace corgi {

// The decoder's sizes (a family's text config, as MakeDecoderShape reads it).
struct DecoderShape {
  int64_t hidden = 0;        // D
  int64_t layers = 0;        // L
  int64_t heads = 0;         // nh
  int64_t kv_heads = 0;      // nkv (divides nh)
  int64_t head_dim = 0;      // hd
  int64_t intermediate = 0;  // I
  double rms_norm_eps = 1e-6;
};

// From a family's TextConfig (fields hidden_size, num_hidden_layers, num_attention_heads,
// num_key_value_heads, head_dim, intermediate_size, rms_norm_eps).
template <class TextConfig>
DecoderShape MakeDecoderShape(const TextConfig& t) {
  return {t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.num_key_value_heads,
          t.head_dim,    t.intermediate_size, t.rms_norm_eps};
}

// Reusable scratch for ForwardPagedDecoder; grows to the largest step seen. `rope` is the
// family's rotary table, filled by the family on first use (the config never changes
// under a scratch). Families derive their own scratch type from this, so that a scratch
// is never handed to another family's model.
struct DecoderScratch : TextScratch {
  std::vector<float> h, norm, q, k, v, o, gate, up, cos, sin, angles;
  std::vector<const float*> key_pages, value_pages;  // one sequence's pages for one layer
  std::vector<int64_t> past;                         // each sequence's length before the step
  MropeFrequencies rope;
};

// Runs the decoder over `batch`, appending each segment's rows to its sequence's pages in
// `kv` (a pool with `shape`'s layers and kv_heads * head_dim row width). Writes logits
// [logit_rows.size(), V] to `logits`. Errors: InvalidArgument for an empty batch, a
// sequence listed twice, logit rows out of order, a pool of another shape or a rotary
// table of another width; FailedPrecondition when a sequence's pages lack room. Nothing
// is written to `kv` on error.
// Stages observed: text.embeds [S,D], text.layer{i}.out [S,D], text.norm [n,D] (logit rows).
Status ForwardPagedDecoder(const DecoderShape& shape, const DecoderWeights& weights,
                           const TextBatch& batch, KvPagePool* kv, DecoderScratch* scratch,
                           float* logits, ThreadPool* pool, const StageObserver* observer);

}  // namespace corgi
