// Private: a thin 16-lane float vector over AVX-512 intrinsics, the "S" the templated
// kernels in *_impl.h are written against (simd_avx2.h is the 8-lane twin).
// Include only from a translation unit compiled with -mavx512f -mavx512bw -mavx512vl
// -mfma -mf16c.
#pragma once

#include "backend/cpu/avx512_intrinsics.h"

#include <cstdint>

namespace corgi::ops::avx512 {

struct Simd {
  using V = __m512;
  static constexpr int kLanes = 16;

  static __mmask16 Mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }

  static V Zero() { return _mm512_setzero_ps(); }
  static V Set1(float f) { return _mm512_set1_ps(f); }
  static V Load(const float* p) { return _mm512_loadu_ps(p); }
  // Lanes >= n read as 0 and are not touched in memory (n in [0, 16]).
  static V LoadN(const float* p, int n) { return _mm512_maskz_loadu_ps(Mask(n), p); }
  static void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void StoreN(float* p, V v, int n) { _mm512_mask_storeu_ps(p, Mask(n), v); }

  static V Bf16Bits(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static V LoadBf16(const uint16_t* p) {
    return Bf16Bits(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static V LoadBf16N(const uint16_t* p, int n) {
    return Bf16Bits(_mm256_maskz_loadu_epi16(Mask(n), p));
  }
  static V LoadF16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static V LoadF16N(const uint16_t* p, int n) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(Mask(n), p));
  }

  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
  static V Max(V a, V b) { return _mm512_max_ps(a, b); }
  static V Min(V a, V b) { return _mm512_min_ps(a, b); }
  // a·b + c, one rounding.
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V Abs(V a) { return _mm512_abs_ps(a); }
  // x < 0 ? neg : pos
  static V SelectNegative(V x, V neg, V pos) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, Zero(), _CMP_LT_OQ), pos, neg);
  }

  // Fixed tree: lanes (i, i+8), then (i, i+4), (i, i+2), (i, i+1). Every kernel of this
  // path reduces with it, which keeps results independent of tiling.
  static float ReduceAdd(V v) {
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 s8 = _mm256_add_ps(lo, hi);
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
  }
  static float ReduceMax(V v) {
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 s8 = _mm256_max_ps(lo, hi);
    __m128 s4 = _mm_max_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_max_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_max_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
  }

  // Round each lane to the nearest bf16 (ties to even) and back to float. NaN is not
  // special-cased (activations are finite).
  static V RoundBf16(V v) {
    __m512i bits = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    bits = _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    return _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32(~0xffff)));
  }

  // dst[i·ldd + j] = rows[j][i] for i, j < 16: a 16×16 transpose through registers
  // (pairs unpacked, then 4-float quads shuffled, then 128-bit lanes twice).
  static void Transpose16(const float* const* rows, float* dst, int64_t ldd) {
    __m512 r[16], t[16];
    for (int j = 0; j < 16; ++j) r[j] = _mm512_loadu_ps(rows[j]);
    for (int j = 0; j < 16; j += 2) {
      t[j] = _mm512_unpacklo_ps(r[j], r[j + 1]);      // per lane: a0 b0 a1 b1
      t[j + 1] = _mm512_unpackhi_ps(r[j], r[j + 1]);  // a2 b2 a3 b3
    }
    __m512 u[16];  // u[4g + k]: rows 4g..4g+3, element k of each 4-float quad
    for (int g = 0; g < 4; ++g) {
      const __m512 lo0 = t[4 * g], hi0 = t[4 * g + 1], lo1 = t[4 * g + 2], hi1 = t[4 * g + 3];
      u[4 * g + 0] = _mm512_shuffle_ps(lo0, lo1, 0x44);
      u[4 * g + 1] = _mm512_shuffle_ps(lo0, lo1, 0xEE);
      u[4 * g + 2] = _mm512_shuffle_ps(hi0, hi1, 0x44);
      u[4 * g + 3] = _mm512_shuffle_ps(hi0, hi1, 0xEE);
    }
    for (int k = 0; k < 4; ++k) {
      const __m512 v0 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);
      const __m512 v1 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xDD);
      const __m512 v2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
      const __m512 v3 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xDD);
      _mm512_storeu_ps(dst + (k + 0) * ldd, _mm512_shuffle_f32x4(v0, v2, 0x88));
      _mm512_storeu_ps(dst + (k + 8) * ldd, _mm512_shuffle_f32x4(v0, v2, 0xDD));
      _mm512_storeu_ps(dst + (k + 4) * ldd, _mm512_shuffle_f32x4(v1, v3, 0x88));
      _mm512_storeu_ps(dst + (k + 12) * ldd, _mm512_shuffle_f32x4(v1, v3, 0xDD));
    }
  }

  // exp(x): Cody–Waite range reduction x = n·ln2 + r, a degree-6 polynomial for e^r
  // (Cephes expf coefficients), then scalef for 2^n, which also gives exact 0 for very
  // negative x and +inf for large x. About 1-2 ulp.
  static V Exp(V x) {
    x = _mm512_max_ps(_mm512_min_ps(x, Set1(89.0f)), Set1(-104.0f));
    V n = _mm512_roundscale_ps(_mm512_mul_ps(x, Set1(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = _mm512_fnmadd_ps(n, Set1(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, Set1(-2.12194440e-4f), r);
    V p = Set1(1.9875691500e-4f);
    p = Fma(p, r, Set1(1.3981999507e-3f));
    p = Fma(p, r, Set1(8.3334519073e-3f));
    p = Fma(p, r, Set1(4.1665795894e-2f));
    p = Fma(p, r, Set1(1.6666665459e-1f));
    p = Fma(p, r, Set1(5.0000001201e-1f));
    p = Fma(p, _mm512_mul_ps(r, r), Add(r, Set1(1.0f)));
    return _mm512_scalef_ps(p, n);
  }
};

}  // namespace corgi::ops::avx512
