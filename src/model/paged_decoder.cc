#include "corgi/model/paged_decoder.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "corgi/backend/ops.h"

namespace corgi {
namespace {

void Grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
}

// Self-attention sublayer: h += o_proj(attn(rope(qnorm(q(norm(h)))), rope(knorm(k(norm(h)))),
// v(norm(h)))), the q/k norms only where the layer has them. New keys/values for all S rows
// are computed at once and scattered to each segment's pages; attention then runs per
// segment over that sequence's pages.
void AttentionBlock(const DecoderShape& t, const DecoderLayer& w, int64_t layer,
                    const TextBatch& batch, std::span<const int64_t> past, KvPagePool* kv,
                    DecoderScratch& x, ThreadPool* pool) {
  const int64_t s = batch.length();
  const int64_t d = t.hidden, hd = t.head_dim, nh = t.heads, nkv = t.kv_heads;
  const int64_t qw = nh * hd, kvw = nkv * hd, page_rows = kv->page_rows();
  const float eps = static_cast<float>(t.rms_norm_eps);
  ops::RmsNorm(x.h.data(), d, s, d, w.input_norm, eps, false, x.norm.data(), d, pool);
  const ops::MatMulTarget qkv[] = {{w.q.weight, w.q.bias, x.q.data(), qw},
                                    {w.k.weight, w.k.bias, x.k.data(), kvw},
                                    {w.v.weight, w.v.bias, x.v.data(), kvw}};
  ops::MatMulShared(x.norm.data(), d, s, qkv, pool);
  if (w.q_norm.data != nullptr)
    ops::RmsNormHeads(x.q.data(), s, nh, hd, qw, w.q_norm, eps, false, pool);
  if (w.k_norm.data != nullptr)
    ops::RmsNormHeads(x.k.data(), s, nkv, hd, kvw, w.k_norm, eps, false, pool);
  ops::ApplyRotary(x.q.data(), s, nh, hd, qw, x.cos.data(), x.sin.data(), pool);
  ops::ApplyRotary(x.k.data(), s, nkv, hd, kvw, x.cos.data(), x.sin.data(), pool);
  ops::AttentionParams params;
  params.num_heads = nh;
  params.num_kv_heads = nkv;
  params.head_dim = hd;
  params.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  params.causal = true;
  int64_t row = 0;
  for (size_t si = 0; si < batch.segments.size(); ++si) {
    const TextSegment& seg = batch.segments[si];
    const std::vector<int32_t>& pages = seg.kv->pages;
    for (int64_t i = 0; i < seg.rows; ++i) {
      const int64_t at = past[si] + i;
      const int32_t page = pages[at / page_rows];
      kv->StoreRow(page, layer, at % page_rows, x.k.data() + (row + i) * kvw,
                   x.v.data() + (row + i) * kvw);
    }
    const int64_t used_pages = (past[si] + seg.rows + page_rows - 1) / page_rows;
    x.key_pages.resize(used_pages);
    x.value_pages.resize(used_pages);
    for (int64_t p = 0; p < used_pages; ++p) {
      x.key_pages[p] = kv->keys(pages[p], layer);
      x.value_pages[p] = kv->values(pages[p], layer);
    }
    params.past = past[si];
    ops::AttentionPaged({x.q.data() + row * qw, qw}, ops::PagedKeysView{x.key_pages.data(), page_rows, kv->head_stride()},
                        {x.value_pages.data(), page_rows, hd, kv->head_stride()}, seg.rows, past[si] + seg.rows,
                        params, {x.o.data() + row * qw, qw}, pool);
    row += seg.rows;
  }
  ops::MatMul(x.o.data(), s, w.o.weight, w.o.bias, x.norm.data(), pool);
  ops::Add(x.h.data(), x.norm.data(), x.h.data(), s * d, pool);
}

// MLP sublayer: h += down(silu(gate(norm(h))) * up(norm(h))).
void MlpBlock(const DecoderShape& t, const DecoderLayer& w, int64_t s, DecoderScratch& x,
              ThreadPool* pool) {
  const int64_t d = t.hidden, inter = t.intermediate;
  ops::RmsNorm(x.h.data(), d, s, d, w.post_norm, static_cast<float>(t.rms_norm_eps), false,
               x.norm.data(), d, pool);
  const ops::MatMulTarget gate_up[] = {{w.gate.weight, w.gate.bias, x.gate.data(), inter},
                                        {w.up.weight, w.up.bias, x.up.data(), inter}};
  ops::MatMulShared(x.norm.data(), d, s, gate_up, pool);
  ops::SwiGlu(x.gate.data(), x.up.data(), x.gate.data(), s * inter, pool);
  ops::MatMul(x.gate.data(), s, w.down.weight, w.down.bias, x.norm.data(), pool);
  ops::Add(x.h.data(), x.norm.data(), x.h.data(), s * d, pool);
}

// Everything about the step that must hold before any KV page is written. Fills `past`
// with each sequence's length before this step.
Status CheckStep(const DecoderShape& t, const TextBatch& batch, const KvPagePool& kv,
                 const MropeFrequencies& rope, std::vector<int64_t>* past) {
  const int64_t s = batch.length();
  if (s <= 0 || batch.segments.empty()) return InvalidArgumentError("empty batch");
  if (kv.layers() != t.layers || kv.kv_heads() != t.kv_heads || kv.head_dim() != t.head_dim) {
    return InvalidArgumentError("KV pool of " + std::to_string(kv.layers()) + " layers x " +
                                std::to_string(kv.kv_heads()) + " heads x " + std::to_string(kv.head_dim()) +
                                " floats does not fit the decoder (" + std::to_string(t.layers) + " x " +
                                std::to_string(t.kv_heads) + " x " + std::to_string(t.head_dim) + ")");
  }
  if (static_cast<int64_t>(rope.inv_freq.size()) != t.head_dim / 2)
    return InvalidArgumentError("the rotary table does not fit the decoder's head_dim");
  past->clear();
  for (const TextSegment& seg : batch.segments) {
    if (seg.kv == nullptr || seg.rows <= 0)
      return InvalidArgumentError("a segment without rows or sequence");
    for (const TextSegment& other : batch.segments)
      if (&other != &seg && other.kv == seg.kv)
        return InvalidArgumentError("a sequence appears twice in one step");
    const int64_t room = static_cast<int64_t>(seg.kv->pages.size()) * kv.page_rows();
    if (seg.kv->length + seg.rows > room) {
      return FailedPreconditionError("the sequence's KV pages hold " + std::to_string(room) +
                                     " tokens; " + std::to_string(seg.kv->length + seg.rows) +
                                     " needed");
    }
    past->push_back(seg.kv->length);
  }
  for (size_t i = 0; i < batch.logit_rows.size(); ++i) {
    if (batch.logit_rows[i] < 0 || batch.logit_rows[i] >= s ||
        (i > 0 && batch.logit_rows[i] <= batch.logit_rows[i - 1]))
      return InvalidArgumentError("logit rows must be ascending rows of the batch");
  }
  return Status::Ok();
}

}  // namespace

Status ForwardPagedDecoder(const DecoderShape& t, const DecoderWeights& weights,
                           const TextBatch& batch, KvPagePool* kv, DecoderScratch* scratch,
                           float* logits, ThreadPool* pool, const StageObserver* observer) {
  DecoderScratch& x = *scratch;
  CORGI_RETURN_IF_ERROR(CheckStep(t, batch, *kv, x.rope, &x.past));
  const int64_t s = batch.length(), d = t.hidden, half = t.head_dim / 2;
  const int64_t qw = t.heads * t.head_dim, kvw = t.kv_heads * t.head_dim;
  Grow(x.h, s * d);
  Grow(x.norm, s * d);
  Grow(x.q, s * qw);
  Grow(x.k, s * kvw);
  Grow(x.v, s * kvw);
  Grow(x.o, s * qw);
  Grow(x.gate, s * t.intermediate);
  Grow(x.up, s * t.intermediate);
  Grow(x.angles, s * half);
  Grow(x.cos, s * half);
  Grow(x.sin, s * half);

  std::copy(batch.embeds, batch.embeds + s * d, x.h.begin());
  Observe(observer, "text.embeds", x.h.data(), Shape{s, d});
  // cos/sin in float32 from float32 angles, shared by every layer.
  MropeAngles(x.rope, std::span(batch.positions, 3 * s), s, x.angles.data());
  for (int64_t i = 0; i < s * half; ++i) {
    x.cos[i] = std::cos(x.angles[i]);
    x.sin[i] = std::sin(x.angles[i]);
  }

  for (int64_t layer = 0; layer < t.layers; ++layer) {
    const DecoderLayer& w = weights.layers[layer];
    AttentionBlock(t, w, layer, batch, x.past, kv, x, pool);
    MlpBlock(t, w, s, x, pool);
    // Per-layer features (DeepStack): add level `layer`'s rows to the image rows.
    if (layer < static_cast<int64_t>(batch.deepstack.size()) && batch.deepstack[layer] != nullptr) {
      const float* ds = batch.deepstack[layer];
      for (size_t r = 0; r < batch.visual_rows.size(); ++r)
        ops::Add(x.h.data() + batch.visual_rows[r] * d, ds + r * d,
                 x.h.data() + batch.visual_rows[r] * d, d, nullptr);
    }
    Observe(observer, "text.layer" + std::to_string(layer) + ".out", x.h.data(), Shape{s, d});
  }
  for (const TextSegment& seg : batch.segments) seg.kv->length += seg.rows;

  const int64_t rows = static_cast<int64_t>(batch.logit_rows.size());
  if (rows > 0) {
    for (int64_t i = 0; i < rows; ++i)
      ops::RmsNorm(x.h.data() + batch.logit_rows[i] * d, d, 1, d, weights.final_norm,
                   static_cast<float>(t.rms_norm_eps), false, x.norm.data() + i * d, d, nullptr);
    Observe(observer, "text.norm", x.norm.data(), Shape{rows, d});
    ops::MatMul(x.norm.data(), rows, weights.lm_head, TensorView(), logits, pool);
  }
  return Status::Ok();
}

}  // namespace corgi
