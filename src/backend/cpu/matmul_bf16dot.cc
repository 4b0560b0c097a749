// The bf16-dot matmul (ops::SetBf16Dot): activations rounded to bf16, bf16 weights, products
// summed in float32 by AVX512_BF16's vdpbf16ps, 32 multiply-adds per instruction where the
// float32 kernel does 16. This file alone is compiled with -mavx512bf16 (and the AVX-512
// flags; src/backend/CMakeLists.txt); ops.cc calls it only where Bf16DotSupported().
//
// Batch invariance as in matmul_impl.h: every y[m, n] owns one accumulator vector; k advances
// 32 at a time from 0 (lane l takes inputs 2l and 2l+1 of each step), the weight tail is a
// zero-filled masked load against activations zero-padded to kp, and the lanes are reduced
// by one fixed tree. Tiles decide only which accumulators sit side by side.
#include "backend/cpu/avx512_intrinsics.h"

#include <algorithm>

#include "backend/cpu/kernel_table.h"

namespace corgi::ops::internal {
namespace {

constexpr int64_t kStep = 32;  // bf16 values per vector

// out[r][c] = Σ_k xb[r, k]·w[c, k] for an MR × NR tile.
template <int MR, int NR>
inline void DotTile(const Bf16DotArgs& a, const uint16_t* xb, const uint16_t* w, float out[MR][NR]) {
  __m512 acc[MR][NR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < NR; ++c) acc[r][c] = _mm512_setzero_ps();
  const int64_t full = a.k / kStep * kStep;
  for (int64_t kk = 0; kk < a.kp; kk += kStep) {
    __m512i xv[MR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) xv[r] = _mm512_loadu_si512(xb + r * a.kp + kk);
    const __mmask32 tail = kk < full ? ~__mmask32{0} : static_cast<__mmask32>((uint64_t{1} << (a.k - kk)) - 1);
#pragma GCC unroll 8
    for (int c = 0; c < NR; ++c) {
      const __m512i wv = _mm512_maskz_loadu_epi16(tail, w + c * a.ldw + kk);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r)
        acc[r][c] = _mm512_dpbf16_ps(acc[r][c], reinterpret_cast<__m512bh>(xv[r]), reinterpret_cast<__m512bh>(wv));
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < NR; ++c) out[r][c] = _mm512_reduce_add_ps(acc[r][c]);
}

// Rows [m0, m0 + MR) × columns [n0, n1) of y: NR columns at a time, then one at a time.
template <int MR, int NR>
void RowTile(const Bf16DotArgs& a, int64_t m0, int64_t n0, int64_t n1) {
  const uint16_t* xb = a.xb + m0 * a.kp;
  float* y = a.y + m0 * a.ldy;
  for (int64_t n = n0; n < n1;) {
    const int cols = n + NR <= n1 ? NR : 1;
    float out[MR][NR];
    if (cols == NR) {
      DotTile<MR, NR>(a, xb, a.w + n * a.ldw, out);
    } else {
      float one[MR][1];
      DotTile<MR, 1>(a, xb, a.w + n * a.ldw, one);
      for (int r = 0; r < MR; ++r) out[r][0] = one[r][0];
    }
    for (int c = 0; c < cols; ++c) {
      const float b = a.bias ? LoadScalar(a.bias, a.bias_dtype, n + c) : 0.0f;
      for (int r = 0; r < MR; ++r) y[r * a.ldy + n + c] = out[r][c] + b;
    }
    n += cols;
  }
}

}  // namespace

void Bf16DotConvertRow(const float* x, int64_t k, int64_t kp, uint16_t* xb) {
  for (int64_t i = 0; i < kp; i += kStep) {
    const int64_t left = std::clamp<int64_t>(k - i, 0, kStep);
    const __mmask16 lo = static_cast<__mmask16>((1u << std::min<int64_t>(left, 16)) - 1);
    const __mmask16 hi = static_cast<__mmask16>((1u << std::clamp<int64_t>(left - 16, 0, 16)) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(lo, x + i);
    const __m512 b = _mm512_maskz_loadu_ps(hi, x + i + 16);
    // Round to nearest even; the second operand fills the upper half.
    _mm512_storeu_si512(xb + i, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(b, a)));
  }
}

// Columns [n_begin, n_end) of y for all rows: row tiles of 6 (24 accumulators) as the
// float32 kernel, then the remaining rows in one smaller tile.
void Bf16DotColumns(const Bf16DotArgs& a, int64_t n_begin, int64_t n_end) {
  // A block of weight rows (~256 KiB) stays in L2 while every row tile passes over it.
  int64_t block = (int64_t{256} << 10) / std::max<int64_t>(1, a.k * 2);
  block = std::max<int64_t>(4, block / 4 * 4);
  for (int64_t n0 = n_begin; n0 < n_end; n0 += block) {
    const int64_t n1 = std::min(n_end, n0 + block);
    int64_t m0 = 0;
    for (; m0 + 6 <= a.m; m0 += 6) RowTile<6, 4>(a, m0, n0, n1);
    switch (a.m - m0) {
      case 5: RowTile<5, 4>(a, m0, n0, n1); break;
      case 4: RowTile<4, 6>(a, m0, n0, n1); break;
      case 3: RowTile<3, 8>(a, m0, n0, n1); break;
      case 2: RowTile<2, 8>(a, m0, n0, n1); break;
      case 1: RowTile<1, 8>(a, m0, n0, n1); break;
      default: break;
    }
  }
}

}  // namespace corgi::ops::internal
