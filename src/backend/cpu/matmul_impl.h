// Private: the SIMD matmul, written once against a vector type S (simd_avx512.h,
// simd_avx2.h) and instantiated in each ISA's translation unit.
//
// Batch invariance by construction: every output element y[m, n] owns one accumulator
// vector of S::kLanes lanes; k advances in steps of kLanes from 0 (lane l sums the k ≡ l
// terms in ascending order), the k tail is a zero-padded partial load, and the lanes are
// reduced with S::ReduceAdd's fixed tree. Register tiles of MR rows × NR columns only
// decide which accumulators live side by side, never the order of one element's sums,
// so any M, any tiling and any column split give bitwise the same y[m, n].
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_table.h"

namespace corgi::ops::simd_impl {

template <class S>
struct F32Weights {
  using T = float;
  static typename S::V Load(const T* p) { return S::Load(p); }
  static typename S::V LoadN(const T* p, int n) { return S::LoadN(p, n); }
};
template <class S>
struct Bf16Weights {
  using T = uint16_t;
  static typename S::V Load(const T* p) { return S::LoadBf16(p); }
  static typename S::V LoadN(const T* p, int n) { return S::LoadBf16N(p, n); }
};
template <class S>
struct F16Weights {
  using T = uint16_t;
  static typename S::V Load(const T* p) { return S::LoadF16(p); }
  static typename S::V LoadN(const T* p, int n) { return S::LoadF16N(p, n); }
};

// out[r][c] = Σ_k x[r, k]·w[c, k] for an MR × NR tile.
template <class S, class W, int MR, int NR>
inline void DotTile(const float* x, int64_t ldx, const typename W::T* w, int64_t ldw, int64_t k,
                    float out[MR][NR]) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V acc[MR][NR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < NR; ++c) acc[r][c] = S::Zero();
  int64_t kk = 0;
  for (; kk + L <= k; kk += L) {
    V xv[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) xv[r] = S::Load(x + r * ldx + kk);
#pragma GCC unroll 16
    for (int c = 0; c < NR; ++c) {
      V wv = W::Load(w + c * ldw + kk);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) acc[r][c] = S::Fma(xv[r], wv, acc[r][c]);
    }
  }
  const int tail = static_cast<int>(k - kk);
  if (tail > 0) {
    V xv[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) xv[r] = S::LoadN(x + r * ldx + kk, tail);
#pragma GCC unroll 16
    for (int c = 0; c < NR; ++c) {
      V wv = W::LoadN(w + c * ldw + kk, tail);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) acc[r][c] = S::Fma(xv[r], wv, acc[r][c]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < NR; ++c) out[r][c] = S::ReduceAdd(acc[r][c]);
}

// Rows [m0, m0 + MR) × columns [n0, n1) of y.
template <class S, class W, int MR, int NR>
void RowTile(const internal::MatMulArgs& a, int64_t m0, int64_t n0, int64_t n1) {
  const auto* w = static_cast<const typename W::T*>(a.w);
  const float* x = a.x + m0 * a.ldx;
  float* y = a.y + m0 * a.ldy;
  int64_t n = n0;
  for (; n + NR <= n1; n += NR) {
    float out[MR][NR];
    DotTile<S, W, MR, NR>(x, a.ldx, w + n * a.ldw, a.ldw, a.k, out);
    for (int c = 0; c < NR; ++c) {
      const float b = a.bias ? internal::LoadScalar(a.bias, a.bias_dtype, n + c) : 0.0f;
      for (int r = 0; r < MR; ++r) y[r * a.ldy + n + c] = out[r][c] + b;
    }
  }
  for (; n < n1; ++n) {
    float out[MR][1];
    DotTile<S, W, MR, 1>(x, a.ldx, w + n * a.ldw, a.ldw, a.k, out);
    const float b = a.bias ? internal::LoadScalar(a.bias, a.bias_dtype, n) : 0.0f;
    for (int r = 0; r < MR; ++r) y[r * a.ldy + n] = out[r][0] + b;
  }
}

// The bias is added after the reduction, identically for every tile shape.
template <class S, class W, int MR, int NR>
void MatMulColumns(const internal::MatMulArgs& a, int64_t n_begin, int64_t n_end) {
  static_assert(MR >= 1 && MR <= 6, "row tiles of 1..6");
  // Block the columns so one block of weight rows (~256 KiB) stays in L2 while every row
  // tile of x streams past it; for decode (M small) this is just a streaming pass.
  const int64_t row_bytes = a.k * static_cast<int64_t>(sizeof(typename W::T));
  int64_t block = (int64_t{256} << 10) / (row_bytes > 0 ? row_bytes : 1);
  block = block < NR ? NR : block / NR * NR;
  for (int64_t n0 = n_begin; n0 < n_end; n0 += block) {
    const int64_t n1 = n_end - n0 < block ? n_end : n0 + block;
    int64_t m0 = 0;
    for (; m0 + MR <= a.m; m0 += MR) RowTile<S, W, MR, NR>(a, m0, n0, n1);
    switch (a.m - m0) {
      case 5:
        if constexpr (MR > 5) RowTile<S, W, 5, NR>(a, m0, n0, n1);
        break;
      case 4:
        if constexpr (MR > 4) RowTile<S, W, 4, NR>(a, m0, n0, n1);
        break;
      case 3:
        if constexpr (MR > 3) RowTile<S, W, 3, NR>(a, m0, n0, n1);
        break;
      case 2:
        if constexpr (MR > 2) RowTile<S, W, 2, NR>(a, m0, n0, n1);
        break;
      case 1:
        if constexpr (MR > 1) RowTile<S, W, 1, NR>(a, m0, n0, n1);
        break;
      default:
        break;
    }
  }
}

// Decode-sized M (<= MR_MAX rows: one sequence with its drafts, or a small batch) runs as a
// single row tile so every weight vector is loaded once per call; a few more columns in
// flight keep more loads outstanding. Larger M tiles rows by MR_MAX. Tile shapes only
// decide which accumulators sit side by side (ACC of them at most), never one element's
// sums, so every choice below gives bitwise the same y.
template <class S, class W, int MR_MAX, int ACC>
void MatMulTyped(const internal::MatMulArgs& a, int64_t n_begin, int64_t n_end) {
  constexpr auto nr = [](int rows) { return ACC / rows < 8 ? ACC / rows : 8; };
  switch (a.m < MR_MAX ? a.m : MR_MAX) {
    case 1:
      MatMulColumns<S, W, 1, nr(1)>(a, n_begin, n_end);
      break;
    case 2:
      MatMulColumns<S, W, 2, nr(2)>(a, n_begin, n_end);
      break;
    case 3:
      MatMulColumns<S, W, 3, nr(3)>(a, n_begin, n_end);
      break;
    case 4:
      if constexpr (MR_MAX >= 4) MatMulColumns<S, W, 4, nr(4)>(a, n_begin, n_end);
      break;
    case 5:
      if constexpr (MR_MAX >= 5) MatMulColumns<S, W, 5, nr(5)>(a, n_begin, n_end);
      break;
    default:
      if constexpr (MR_MAX >= 6) MatMulColumns<S, W, 6, nr(6)>(a, n_begin, n_end);
      break;
  }
}

template <class S, int MR_MAX, int ACC>
void MatMul(const internal::MatMulArgs& a, int64_t n_begin, int64_t n_end) {
  switch (a.w_dtype) {
    case DType::kBF16:
      MatMulTyped<S, Bf16Weights<S>, MR_MAX, ACC>(a, n_begin, n_end);
      break;
    case DType::kF16:
      MatMulTyped<S, F16Weights<S>, MR_MAX, ACC>(a, n_begin, n_end);
      break;
    default:
      MatMulTyped<S, F32Weights<S>, MR_MAX, ACC>(a, n_begin, n_end);
      break;
  }
}

}  // namespace corgi::ops::simd_impl
