#include "corgi/model/qwen3vl/text.h"

#include <cmath>
#include <string>

#include "corgi/backend/ops.h"
#include "corgi/model/qwen3vl/positions.h"

namespace corgi::qwen3vl {

KvCache::KvCache(const TextConfig& config, int64_t capacity)
    : capacity_(capacity), row_width_(config.num_key_value_heads * config.head_dim) {
  data_.resize(static_cast<size_t>(2 * config.num_hidden_layers * capacity_ * row_width_));
}

namespace {

void Grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
}

// Self-attention sublayer: h += o_proj(attn(rope(norm(q)), rope(norm(k)), v)).
void AttentionBlock(const TextConfig& t, const TextLayer& w, int64_t layer, int64_t s, KvCache* cache,
                    TextScratch& x, ThreadPool* pool) {
  const int64_t d = t.hidden_size, hd = t.head_dim, nh = t.num_attention_heads, nkv = t.num_key_value_heads;
  const int64_t qw = nh * hd, kvw = nkv * hd, past = cache->length();
  const float eps = static_cast<float>(t.rms_norm_eps);
  ops::RmsNorm(x.h.data(), d, s, d, w.input_norm.weight, eps, false, x.norm.data(), d, pool);
  ops::MatMul(x.norm.data(), s, w.q.weight, w.q.bias, x.q.data(), pool);
  // K and V go straight into the cache rows [past, past + S).
  float* k = cache->keys(layer) + past * kvw;
  float* v = cache->values(layer) + past * kvw;
  ops::MatMul(x.norm.data(), d, s, w.k.weight, w.k.bias, k, kvw, pool);
  ops::MatMul(x.norm.data(), d, s, w.v.weight, w.v.bias, v, kvw, pool);
  ops::RmsNormHeads(x.q.data(), s, nh, hd, qw, w.q_norm.weight, eps, false, pool);
  ops::RmsNormHeads(k, s, nkv, hd, kvw, w.k_norm.weight, eps, false, pool);
  ops::ApplyRotary(x.q.data(), s, nh, hd, qw, x.cos.data(), x.sin.data(), pool);
  ops::ApplyRotary(k, s, nkv, hd, kvw, x.cos.data(), x.sin.data(), pool);
  ops::AttentionParams params;
  params.num_heads = nh;
  params.num_kv_heads = nkv;
  params.head_dim = hd;
  params.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  params.causal = true;
  params.past = past;
  ops::Attention({x.q.data(), qw}, {cache->keys(layer), kvw}, {cache->values(layer), kvw}, s, past + s, params,
                 {x.o.data(), qw}, pool);
  ops::MatMul(x.o.data(), s, w.o.weight, w.o.bias, x.norm.data(), pool);
  ops::Add(x.h.data(), x.norm.data(), x.h.data(), s * d, pool);
}

// MLP sublayer: h += down(silu(gate(norm(h))) * up(norm(h))).
void MlpBlock(const TextConfig& t, const TextLayer& w, int64_t s, TextScratch& x, ThreadPool* pool) {
  const int64_t d = t.hidden_size, inter = t.intermediate_size;
  ops::RmsNorm(x.h.data(), d, s, d, w.post_norm.weight, static_cast<float>(t.rms_norm_eps), false,
               x.norm.data(), d, pool);
  ops::MatMul(x.norm.data(), s, w.gate.weight, w.gate.bias, x.gate.data(), pool);
  ops::MatMul(x.norm.data(), s, w.up.weight, w.up.bias, x.up.data(), pool);
  ops::SwiGlu(x.gate.data(), x.up.data(), x.gate.data(), s * inter, pool);
  ops::MatMul(x.gate.data(), s, w.down.weight, w.down.bias, x.norm.data(), pool);
  ops::Add(x.h.data(), x.norm.data(), x.h.data(), s * d, pool);
}

}  // namespace

Status ForwardText(const ModelConfig& config, const TextWeights& weights, const TextBatch& batch,
                   KvCache* cache, TextScratch* scratch, float* logits, ThreadPool* pool,
                   const StageObserver* observer) {
  const TextConfig& t = config.text;
  const int64_t s = batch.length, d = t.hidden_size, half = t.head_dim / 2;
  if (s <= 0) return InvalidArgumentError("empty batch");
  if (cache->length() + s > cache->capacity()) {
    return FailedPreconditionError("the KV cache holds " + std::to_string(cache->capacity()) + " tokens; " +
                                   std::to_string(cache->length() + s) + " needed");
  }
  TextScratch& x = *scratch;
  Grow(x.h, s * d);
  Grow(x.norm, s * d);
  Grow(x.q, s * t.num_attention_heads * t.head_dim);
  Grow(x.o, s * t.num_attention_heads * t.head_dim);
  Grow(x.gate, s * t.intermediate_size);
  Grow(x.up, s * t.intermediate_size);
  Grow(x.angles, s * half);
  Grow(x.cos, s * half);
  Grow(x.sin, s * half);

  std::copy(batch.embeds, batch.embeds + s * d, x.h.begin());
  Observe(observer, "text.embeds", x.h.data(), Shape{s, d});
  // cos/sin in float32 from float32 angles (spec §5.3).
  if (x.rope.inv_freq.empty()) x.rope = MakeMropeFrequencies(t);
  MropeAngles(x.rope, std::span(batch.positions, 3 * s), s, x.angles.data());
  for (int64_t i = 0; i < s * half; ++i) {
    x.cos[i] = std::cos(x.angles[i]);
    x.sin[i] = std::sin(x.angles[i]);
  }

  for (int64_t layer = 0; layer < t.num_hidden_layers; ++layer) {
    const TextLayer& w = weights.layers[layer];
    AttentionBlock(t, w, layer, s, cache, x, pool);
    MlpBlock(t, w, s, x, pool);
    // DeepStack: add level `layer`'s features to the image rows (spec §5.2).
    if (layer < static_cast<int64_t>(batch.deepstack.size()) && batch.deepstack[layer] != nullptr) {
      const float* ds = batch.deepstack[layer];
      for (size_t r = 0; r < batch.visual_rows.size(); ++r)
        ops::Add(x.h.data() + batch.visual_rows[r] * d, ds + r * d, x.h.data() + batch.visual_rows[r] * d, d,
                 nullptr);
    }
    Observe(observer, "text.layer" + std::to_string(layer) + ".out", x.h.data(), Shape{s, d});
  }
  cache->set_length(cache->length() + s);

  const int64_t from = batch.logits_from, rows = s - from;
  if (rows > 0) {
    ops::RmsNorm(x.h.data() + from * d, d, rows, d, weights.final_norm.weight, static_cast<float>(t.rms_norm_eps),
                 false, x.norm.data(), d, pool);
    Observe(observer, "text.norm", x.norm.data(), Shape{rows, d});
    ops::MatMul(x.norm.data(), rows, weights.lm_head, TensorView(), logits, pool);
  }
  return Status::Ok();
}

}  // namespace corgi::qwen3vl
