#include "corgi/model/qwen2_5vl/text.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "corgi/backend/ops.h"

namespace corgi::qwen2_5vl {
namespace {

void Grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
}

// Self-attention sublayer: h += o_proj(attn(rope(q(norm(h))), rope(k(norm(h))), v(norm(h)))).
// New keys/values for all S rows are computed at once and scattered to each segment's
// pages; attention then runs per segment over that sequence's pages.
void AttentionBlock(const TextConfig& t, const TextLayer& w, int64_t layer, const TextBatch& batch,
                    std::span<const int64_t> past, KvPagePool* kv, TextScratch& x,
                    ThreadPool* pool) {
  const int64_t s = batch.length();
  const int64_t d = t.hidden_size, hd = t.head_dim, nh = t.num_attention_heads,
                nkv = t.num_key_value_heads;
  const int64_t qw = nh * hd, kvw = nkv * hd, page_rows = kv->page_rows();
  ops::RmsNorm(x.h.data(), d, s, d, w.input_norm, static_cast<float>(t.rms_norm_eps), false,
               x.norm.data(), d, pool);
  ops::MatMul(x.norm.data(), s, w.q.weight, w.q.bias, x.q.data(), pool);
  ops::MatMul(x.norm.data(), s, w.k.weight, w.k.bias, x.k.data(), pool);
  ops::MatMul(x.norm.data(), s, w.v.weight, w.v.bias, x.v.data(), pool);
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
      std::copy_n(x.k.data() + (row + i) * kvw, kvw,
                  kv->keys(page, layer) + (at % page_rows) * kvw);
      std::copy_n(x.v.data() + (row + i) * kvw, kvw,
                  kv->values(page, layer) + (at % page_rows) * kvw);
    }
    const int64_t used_pages = (past[si] + seg.rows + page_rows - 1) / page_rows;
    x.key_pages.resize(used_pages);
    x.value_pages.resize(used_pages);
    for (int64_t p = 0; p < used_pages; ++p) {
      x.key_pages[p] = kv->keys(pages[p], layer);
      x.value_pages[p] = kv->values(pages[p], layer);
    }
    params.past = past[si];
    ops::AttentionPaged({x.q.data() + row * qw, qw}, {x.key_pages.data(), page_rows, kvw},
                        {x.value_pages.data(), page_rows, kvw}, seg.rows, past[si] + seg.rows,
                        params, {x.o.data() + row * qw, qw}, pool);
    row += seg.rows;
  }
  ops::MatMul(x.o.data(), s, w.o.weight, w.o.bias, x.norm.data(), pool);
  ops::Add(x.h.data(), x.norm.data(), x.h.data(), s * d, pool);
}

// MLP sublayer: h += down(silu(gate(norm(h))) * up(norm(h))).
void MlpBlock(const TextConfig& t, const TextLayer& w, int64_t s, TextScratch& x,
              ThreadPool* pool) {
  const int64_t d = t.hidden_size, inter = t.intermediate_size;
  ops::RmsNorm(x.h.data(), d, s, d, w.post_norm, static_cast<float>(t.rms_norm_eps), false,
               x.norm.data(), d, pool);
  ops::MatMul(x.norm.data(), s, w.gate.weight, w.gate.bias, x.gate.data(), pool);
  ops::MatMul(x.norm.data(), s, w.up.weight, w.up.bias, x.up.data(), pool);
  ops::SwiGlu(x.gate.data(), x.up.data(), x.gate.data(), s * inter, pool);
  ops::MatMul(x.gate.data(), s, w.down.weight, w.down.bias, x.norm.data(), pool);
  ops::Add(x.h.data(), x.norm.data(), x.h.data(), s * d, pool);
}

// Everything about `batch` that must hold before any KV page is written. Fills `past`
// with each sequence's length before this step.
Status CheckBatch(const TextConfig& t, const TextBatch& batch, const KvPagePool& kv,
                  std::vector<int64_t>* past) {
  const int64_t s = batch.length();
  if (s <= 0 || batch.segments.empty()) return InvalidArgumentError("empty batch");
  if (kv.layers() != t.num_hidden_layers || kv.row_width() != t.num_key_value_heads * t.head_dim) {
    return InvalidArgumentError("KV pool of " + std::to_string(kv.layers()) + " layers x " +
                                std::to_string(kv.row_width()) +
                                " floats does not fit the decoder (" +
                                std::to_string(t.num_hidden_layers) + " x " +
                                std::to_string(t.num_key_value_heads * t.head_dim) + ")");
  }
  for (const float* level : batch.deepstack)
    if (level != nullptr) return InvalidArgumentError("Qwen2.5-VL has no DeepStack features");
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

Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvPagePool* kv, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer) {
  const TextConfig& t = config.text;
  std::vector<int64_t> past;
  CORGI_RETURN_IF_ERROR(CheckBatch(t, batch, *kv, &past));
  const int64_t s = batch.length(), d = t.hidden_size, half = t.head_dim / 2;
  const int64_t qw = t.num_attention_heads * t.head_dim, kvw = t.num_key_value_heads * t.head_dim;
  TextScratch& x = *scratch;
  Grow(x.h, s * d);
  Grow(x.norm, s * d);
  Grow(x.q, s * qw);
  Grow(x.k, s * kvw);
  Grow(x.v, s * kvw);
  Grow(x.o, s * qw);
  Grow(x.gate, s * t.intermediate_size);
  Grow(x.up, s * t.intermediate_size);
  Grow(x.angles, s * half);
  Grow(x.cos, s * half);
  Grow(x.sin, s * half);

  std::copy(batch.embeds, batch.embeds + s * d, x.h.begin());
  Observe(observer, "text.embeds", x.h.data(), Shape{s, d});
  // cos/sin in float32 from float32 angles, shared by every layer.
  if (x.rope.inv_freq.empty()) x.rope = MakeMropeFrequencies(t);
  MropeAngles(x.rope, batch.positions, s, x.angles.data());
  for (int64_t i = 0; i < s * half; ++i) {
    x.cos[i] = std::cos(x.angles[i]);
    x.sin[i] = std::sin(x.angles[i]);
  }

  for (int64_t layer = 0; layer < t.num_hidden_layers; ++layer) {
    const TextLayer& w = weights.layers[layer];
    AttentionBlock(t, w, layer, batch, past, kv, x, pool);
    MlpBlock(t, w, s, x, pool);
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

}  // namespace corgi::qwen2_5vl
