// Scalar reference for norms, activations, rotary and softmax, and the reference table.
#include <algorithm>
#include <cmath>

#include "backend/cpu/ref/ref_kernels.h"
#include "corgi/core/half.h"

namespace corgi::ops::ref {

using internal::LoadScalar;

void RmsNormRow(const float* x, int64_t d, const void* w, DType w_dtype, float eps,
                bool round_to_bf16, float* y) {
  float sum_sq = 0.0f;
  for (int64_t i = 0; i < d; ++i) sum_sq += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(sum_sq / static_cast<float>(d) + eps);
  for (int64_t i = 0; i < d; ++i) {
    float normalized = x[i] * inv;
    if (round_to_bf16) normalized = corgi::RoundToBf16(normalized);
    y[i] = normalized * LoadScalar(w, w_dtype, i);
  }
}

void LayerNormRow(const float* x, int64_t d, const void* w, DType w_dtype, const void* b,
                  DType b_dtype, float eps, float* y) {
  float sum = 0.0f;
  for (int64_t i = 0; i < d; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(d);
  float sum_sq = 0.0f;
  for (int64_t i = 0; i < d; ++i) sum_sq += (x[i] - mean) * (x[i] - mean);
  const float inv = 1.0f / std::sqrt(sum_sq / static_cast<float>(d) + eps);
  for (int64_t i = 0; i < d; ++i) {
    float out = (x[i] - mean) * inv * LoadScalar(w, w_dtype, i);
    if (b != nullptr) out += LoadScalar(b, b_dtype, i);
    y[i] = out;
  }
}

void Silu(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void GeluTanh(const float* x, float* y, int64_t n) {
  const float kSqrt2OverPi = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
  }
}

// 0.5·x·(1 + erf(x/√2)) written as 0.5·x·erfc(−x/√2), which does not cancel for x < 0.
void GeluErf(const float* x, float* y, int64_t n) {
  const float kInvSqrt2 = 0.7071067811865476f;
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * std::erfc(-x[i] * kInvSqrt2);
}

void SwiGlu(const float* gate, const float* up, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    y[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void Add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void AddScaled(const float* x, float alpha, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void RotaryRow(float* x, int64_t heads, int64_t head_dim, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float lo = v[i], hi = v[i + half];
      v[i] = lo * cos[i] - hi * sin[i];
      v[i + half] = hi * cos[i] + lo * sin[i];
    }
  }
}

void Softmax(const float* x, float* y, int64_t n) {
  float max_value = x[0];
  for (int64_t i = 1; i < n; ++i) max_value = std::max(max_value, x[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - max_value);
    sum += y[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

float ReadSum(const float* x, int64_t n) {
  float total = 0.0f;
  for (int64_t i = 0; i < n; ++i) total += x[i];
  return total;
}

}  // namespace corgi::ops::ref

namespace corgi::ops::internal {

const KernelTable& RefKernels() {
  static const KernelTable table = {KernelPath::kRef,  ref::MatMul, ref::QuantizeRow, ref::QMatMul, ref::Attention, ref::RmsNormRow,
                                    ref::LayerNormRow, ref::Silu,   ref::GeluTanh,  ref::GeluErf,
                                    ref::SwiGlu,       ref::Add,    ref::AddScaled, ref::RotaryRow,
                                    ref::Softmax,      ref::ReadSum};
  return table;
}

}  // namespace corgi::ops::internal
