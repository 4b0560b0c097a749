// Scalar reference for the matmul and attention kernels.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/ref/ref_kernels.h"
#include "corgi/core/half.h"

namespace corgi::ops::ref {

using internal::LoadScalar;

// The bf16-dot matmul's math: y[m, n] = Σ_k bf16(x[m, k])·w[n, k] + bias[n] (xb holds the
// rounded activations), k ascending, one float32 accumulator. The kernel sums pairs in 16
// lanes and so differs by float32 rounding; tests compare within a tolerance.
void Bf16DotColumns(const internal::Bf16DotArgs& a, int64_t n_begin, int64_t n_end) {
  for (int64_t row = 0; row < a.m; ++row) {
    for (int64_t n = n_begin; n < n_end; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < a.k; ++k)
        acc += LoadScalar(a.xb + row * a.kp, DType::kBF16, k) * LoadScalar(a.w, DType::kBF16, n * a.ldw + k);
      if (a.bias != nullptr) acc += LoadScalar(a.bias, a.bias_dtype, n);
      a.y[row * a.ldy + n] = acc;
    }
  }
}

// xb[0, kp) = bf16(x[0, k)) rounded to nearest even, then zeros.
void Bf16DotConvertRow(const float* x, int64_t k, int64_t kp, uint16_t* xb) {
  for (int64_t i = 0; i < kp; ++i) xb[i] = i < k ? F32ToBf16(x[i]) : 0;
}

// y[m, n] = Σ_k x[m, k]·w[n, k] + bias[n], k ascending, one float32 accumulator.
void MatMul(const internal::MatMulArgs& a, int64_t n_begin, int64_t n_end) {
  for (int64_t row = 0; row < a.m; ++row) {
    const float* x = a.x + row * a.ldx;
    for (int64_t n = n_begin; n < n_end; ++n) {
      float acc = 0.0f;
      for (int64_t k = 0; k < a.k; ++k) acc += x[k] * LoadScalar(a.w, a.w_dtype, n * a.ldw + k);
      if (a.bias != nullptr) acc += LoadScalar(a.bias, a.bias_dtype, n);
      a.y[row * a.ldy + n] = acc;
    }
  }
}

namespace {

// Materializes one row of scores at a time: fine for a reference, not for 16k patches.
void AttentionHead(const internal::AttentionArgs& a, int64_t head, int64_t q_begin, int64_t q_end) {
  const AttentionParams& p = a.p;
  const int64_t hd = p.head_dim;
  const int64_t kv_head = head / (p.num_heads / p.num_kv_heads);
  std::vector<float> scores(static_cast<size_t>(a.skv));
  std::vector<float> acc(static_cast<size_t>(hd));
  for (int64_t i = q_begin; i < q_end; ++i) {
    const float* q = a.q + i * a.ldq + head * hd;
    const int64_t visible = p.causal ? p.past + i + 1 : a.skv;
    float max_score = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < visible; ++j) {
      float dot = 0.0f;
      for (int64_t d = 0; d < hd; ++d) dot += q[d] * a.KeyAt(j, kv_head, d);
      scores[j] = dot * p.scale;
      max_score = std::max(max_score, scores[j]);
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < visible; ++j) {
      scores[j] = std::exp(scores[j] - max_score);
      sum += scores[j];
    }
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t j = 0; j < visible; ++j) {
      const float* v = a.Value(j, kv_head);
      const float prob = scores[j] / sum;
      for (int64_t d = 0; d < hd; ++d) acc[d] += prob * v[d];
    }
    float* out = a.out + i * a.ldo + head * hd;
    for (int64_t d = 0; d < hd; ++d) out[d] = acc[d];
  }
}

}  // namespace

void Attention(const internal::AttentionArgs& a, int64_t kv_head, int64_t q_begin, int64_t q_end) {
  const int64_t group = a.p.num_heads / a.p.num_kv_heads;
  for (int64_t head = kv_head * group; head < (kv_head + 1) * group; ++head) {
    AttentionHead(a, head, q_begin, q_end);
  }
}

}  // namespace corgi::ops::ref
