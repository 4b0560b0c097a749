// Private: norms, activations, rotary and softmax written once against a vector type S
// (simd_avx512.h, simd_avx2.h) and instantiated per ISA. Each element or row is computed
// independently of its neighbours, so results do not depend on how work is split.
#pragma once

#include <cmath>
#include <cstdint>

#include "backend/cpu/kernel_table.h"

namespace corgi::ops::simd_impl {

// Applies f to every full vector and to the zero-padded tail: y[i] = f(x[i]).
template <class S, class F>
inline void MapUnary(const float* x, float* y, int64_t n, F f) {
  constexpr int L = S::kLanes;
  int64_t i = 0;
  for (; i + L <= n; i += L) S::Store(y + i, f(S::Load(x + i)));
  if (i < n) S::StoreN(y + i, f(S::LoadN(x + i, static_cast<int>(n - i))), static_cast<int>(n - i));
}

template <class S, class F>
inline void MapBinary(const float* a, const float* b, float* y, int64_t n, F f) {
  constexpr int L = S::kLanes;
  int64_t i = 0;
  for (; i + L <= n; i += L) S::Store(y + i, f(S::Load(a + i), S::Load(b + i)));
  if (i < n) {
    const int t = static_cast<int>(n - i);
    S::StoreN(y + i, f(S::LoadN(a + i, t), S::LoadN(b + i, t)), t);
  }
}

// x / (1 + e^(−x)); −x overflowing to +inf gives the right limit (−0).
template <class S>
inline typename S::V SiluV(typename S::V x) {
  return S::Div(x, S::Add(S::Set1(1.0f), S::Exp(S::Sub(S::Zero(), x))));
}

template <class S>
void Silu(const float* x, float* y, int64_t n) {
  MapUnary<S>(x, y, n, [](typename S::V v) { return SiluV<S>(v); });
}

// 0.5·x·(1 + tanh(u)) == x / (1 + e^(−2u)): one exp, no cancellation near tanh = −1.
template <class S>
void GeluTanh(const float* x, float* y, int64_t n) {
  using V = typename S::V;
  MapUnary<S>(x, y, n, [](V v) {
    V v3 = S::Mul(S::Mul(v, v), v);
    V u = S::Mul(S::Set1(0.7978845608028654f), S::Fma(S::Set1(0.044715f), v3, v));
    V e = S::Exp(S::Mul(S::Set1(-2.0f), u));
    return S::Div(v, S::Add(S::Set1(1.0f), e));
  });
}

// 0.5·x·erfc(−x/√2). erfc(z), z >= 0, by the Chebyshev-fitted form of Numerical Recipes
// (erfcc, fractional error < 1.2e-7): t = 1/(1 + z/2), erfc = t·exp(−z² + P(t)).
// erfc(−z) = 2 − erfc(z) covers x > 0.
template <class S>
void GeluErf(const float* x, float* y, int64_t n) {
  using V = typename S::V;
  MapUnary<S>(x, y, n, [](V v) {
    V z = S::Mul(S::Abs(v), S::Set1(0.7071067811865476f));
    V t = S::Div(S::Set1(1.0f), S::Fma(S::Set1(0.5f), z, S::Set1(1.0f)));
    V p = S::Set1(0.17087277f);
    p = S::Fma(p, t, S::Set1(-0.82215223f));
    p = S::Fma(p, t, S::Set1(1.48851587f));
    p = S::Fma(p, t, S::Set1(-1.13520398f));
    p = S::Fma(p, t, S::Set1(0.27886807f));
    p = S::Fma(p, t, S::Set1(-0.18628806f));
    p = S::Fma(p, t, S::Set1(0.09678418f));
    p = S::Fma(p, t, S::Set1(0.37409196f));
    p = S::Fma(p, t, S::Set1(1.00002368f));
    p = S::Fma(p, t, S::Set1(-1.26551223f));
    V erfc_abs = S::Mul(t, S::Exp(S::Sub(p, S::Mul(z, z))));
    // x < 0: erfc(|x|/√2);  x >= 0: erfc(−|x|/√2) = 2 − erfc(|x|/√2).
    V erfc = S::SelectNegative(v, erfc_abs, S::Sub(S::Set1(2.0f), erfc_abs));
    return S::Mul(S::Mul(S::Set1(0.5f), v), erfc);
  });
}

template <class S>
void SwiGlu(const float* gate, const float* up, float* y, int64_t n) {
  using V = typename S::V;
  MapBinary<S>(gate, up, y, n, [](V g, V u) { return S::Mul(SiluV<S>(g), u); });
}

template <class S>
void Add(const float* a, const float* b, float* y, int64_t n) {
  using V = typename S::V;
  MapBinary<S>(a, b, y, n, [](V p, V q) { return S::Add(p, q); });
}

// y += alpha·x as a multiply then an add (two roundings, like the reference).
template <class S>
void AddScaled(const float* x, float alpha, float* y, int64_t n) {
  using V = typename S::V;
  const V va = S::Set1(alpha);
  MapBinary<S>(x, y, y, n, [va](V p, V q) { return S::Add(q, S::Mul(va, p)); });
}

// Vector load of norm weights of any float dtype.
template <class S>
inline typename S::V LoadAny(const void* p, DType dtype, int64_t i, int n) {
  constexpr int L = S::kLanes;
  switch (dtype) {
    case DType::kBF16: {
      const uint16_t* q = static_cast<const uint16_t*>(p) + i;
      return n == L ? S::LoadBf16(q) : S::LoadBf16N(q, n);
    }
    case DType::kF16: {
      const uint16_t* q = static_cast<const uint16_t*>(p) + i;
      return n == L ? S::LoadF16(q) : S::LoadF16N(q, n);
    }
    default: {
      const float* q = static_cast<const float*>(p) + i;
      return n == L ? S::Load(q) : S::LoadN(q, n);
    }
  }
}

// Σ f(x[i]) with one vector accumulator and S's fixed reduction tree.
template <class S, class F>
inline float SumRow(const float* x, int64_t d, F f) {
  constexpr int L = S::kLanes;
  typename S::V acc = S::Zero();
  for (int64_t i = 0; i < d; i += L) {
    const int n = d - i < L ? static_cast<int>(d - i) : L;
    // The tail's padding lanes are excluded by zeroing f's result there.
    typename S::V v = f(n == L ? S::Load(x + i) : S::LoadN(x + i, n));
    acc = S::Add(acc, n == L ? v : S::LoadN(reinterpret_cast<const float*>(&v), n));
  }
  return S::ReduceAdd(acc);
}

template <class S>
void RmsNormRow(const float* x, int64_t d, const void* w, DType w_dtype, float eps,
                bool round_to_bf16, float* y) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const float sum_sq = SumRow<S>(x, d, [](V v) { return S::Mul(v, v); });
  const V inv = S::Set1(1.0f / std::sqrt(sum_sq / static_cast<float>(d) + eps));
  for (int64_t i = 0; i < d; i += L) {
    const int n = d - i < L ? static_cast<int>(d - i) : L;
    V normalized = S::Mul(n == L ? S::Load(x + i) : S::LoadN(x + i, n), inv);
    if (round_to_bf16) normalized = S::RoundBf16(normalized);
    V out = S::Mul(normalized, LoadAny<S>(w, w_dtype, i, n));
    if (n == L)
      S::Store(y + i, out);
    else
      S::StoreN(y + i, out, n);
  }
}

template <class S>
void LayerNormRow(const float* x, int64_t d, const void* w, DType w_dtype, const void* b,
                  DType b_dtype, float eps, float* y) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const float mean = SumRow<S>(x, d, [](V v) { return v; }) / static_cast<float>(d);
  const V vmean = S::Set1(mean);
  const float sum_sq = SumRow<S>(x, d, [vmean](V v) {
    V c = S::Sub(v, vmean);
    return S::Mul(c, c);
  });
  const V inv = S::Set1(1.0f / std::sqrt(sum_sq / static_cast<float>(d) + eps));
  for (int64_t i = 0; i < d; i += L) {
    const int n = d - i < L ? static_cast<int>(d - i) : L;
    V v = n == L ? S::Load(x + i) : S::LoadN(x + i, n);
    V out = S::Mul(S::Mul(S::Sub(v, vmean), inv), LoadAny<S>(w, w_dtype, i, n));
    if (b != nullptr) out = S::Add(out, LoadAny<S>(b, b_dtype, i, n));
    if (n == L)
      S::Store(y + i, out);
    else
      S::StoreN(y + i, out, n);
  }
}

// Multiplies and adds are kept separate (no FMA) so the result equals the reference's.
template <class S>
void RotaryRow(float* x, int64_t heads, int64_t head_dim, const float* cos, const float* sin) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    float* lo_p = x + h * head_dim;
    float* hi_p = lo_p + half;
    for (int64_t i = 0; i < half; i += L) {
      const int n = half - i < L ? static_cast<int>(half - i) : L;
      V lo = S::LoadN(lo_p + i, n), hi = S::LoadN(hi_p + i, n);
      V c = S::LoadN(cos + i, n), s = S::LoadN(sin + i, n);
      S::StoreN(lo_p + i, S::Sub(S::Mul(lo, c), S::Mul(hi, s)), n);
      S::StoreN(hi_p + i, S::Add(S::Mul(hi, c), S::Mul(lo, s)), n);
    }
  }
}

template <class S>
void Softmax(const float* x, float* y, int64_t n) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V vmax = S::Set1(x[0]);
  for (int64_t i = 0; i < n; i += L) {
    const int t = n - i < L ? static_cast<int>(n - i) : L;
    // Padding lanes repeat x[0], which cannot change the maximum.
    vmax = S::Max(vmax, t == L ? S::Load(x + i) : S::Max(S::LoadN(x + i, t), S::Set1(x[0])));
  }
  const V m = S::Set1(S::ReduceMax(vmax));
  V sum = S::Zero();
  for (int64_t i = 0; i < n; i += L) {
    const int t = n - i < L ? static_cast<int>(n - i) : L;
    V e = S::Exp(S::Sub(S::LoadN(x + i, t), m));
    e = S::LoadN(reinterpret_cast<const float*>(&e), t);  // zero the padding lanes
    S::StoreN(y + i, e, t);
    sum = S::Add(sum, e);
  }
  const V inv = S::Set1(1.0f / S::ReduceAdd(sum));
  MapUnary<S>(y, y, n, [inv](V v) { return S::Mul(v, inv); });
}

// Σ x[0, n) over internal::kReadStreams contiguous parts read side by side, a cache line
// of each per step, so several streams of lines are in flight as in a decode matmul.
// Only the probe's speed matters; the sum keeps the loads from being optimized away.
template <class S>
float ReadSum(const float* x, int64_t n) {
  constexpr int kStreams = internal::kReadStreams;
  constexpr int64_t kLine = 64 / sizeof(float);  // floats per cache line
  using V = typename S::V;
  const int64_t part = n / kStreams / kLine * kLine;
  V acc[kStreams];
  for (int s = 0; s < kStreams; ++s) acc[s] = S::Zero();
  for (int64_t i = 0; i < part; i += kLine)
#pragma GCC unroll 4
    for (int s = 0; s < kStreams; ++s)
#pragma GCC unroll 4
      for (int64_t j = 0; j < kLine; j += S::kLanes) acc[s] = S::Add(acc[s], S::Load(x + s * part + i + j));
  float total = 0.0f;
  for (int s = 0; s < kStreams; ++s) total += S::ReduceAdd(acc[s]);
  for (int64_t i = kStreams * part; i < n; ++i) total += x[i];
  return total;
}

}  // namespace corgi::ops::simd_impl
