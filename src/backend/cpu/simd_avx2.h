// Private: the 8-lane AVX2 twin of simd_avx512.h (same interface, see there).
// Include only from a translation unit compiled with -mavx2 -mfma -mf16c.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace corgi::ops::avx2 {

struct Simd {
  using V = __m256;
  static constexpr int kLanes = 8;

  static __m256i Mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }

  static V Zero() { return _mm256_setzero_ps(); }
  static V Set1(float f) { return _mm256_set1_ps(f); }
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static V LoadN(const float* p, int n) { return _mm256_maskload_ps(p, Mask(n)); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void StoreN(float* p, V v, int n) { _mm256_maskstore_ps(p, Mask(n), v); }

  // AVX2 has no masked 16-bit load: partial loads go through a zeroed copy.
  static __m128i Load8x16(const uint16_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static __m128i Load8x16N(const uint16_t* p, int n) {
    uint16_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(tmp, p, static_cast<size_t>(n) * sizeof(uint16_t));
    return Load8x16(tmp);
  }
  static V Bf16Bits(__m128i h) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static V LoadBf16(const uint16_t* p) { return Bf16Bits(Load8x16(p)); }
  static V LoadBf16N(const uint16_t* p, int n) { return Bf16Bits(Load8x16N(p, n)); }
  static V LoadF16(const uint16_t* p) { return _mm256_cvtph_ps(Load8x16(p)); }
  static V LoadF16N(const uint16_t* p, int n) { return _mm256_cvtph_ps(Load8x16N(p, n)); }

  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm256_div_ps(a, b); }
  static V Max(V a, V b) { return _mm256_max_ps(a, b); }
  static V Min(V a, V b) { return _mm256_min_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V Abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static V SelectNegative(V x, V neg, V pos) {
    return _mm256_blendv_ps(pos, neg, _mm256_cmp_ps(x, Zero(), _CMP_LT_OQ));
  }

  // Fixed tree: lanes (i, i+4), then (i, i+2), (i, i+1).
  static float ReduceAdd(V v) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
  }
  static float ReduceMax(V v) {
    __m128 s4 = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 s2 = _mm_max_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_max_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
  }

  static V RoundBf16(V v) {
    __m256i bits = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    bits = _mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
    return _mm256_castsi256_ps(_mm256_and_si256(bits, _mm256_set1_epi32(~0xffff)));
  }

  // As in simd_avx512.h; 2^n is built in the exponent field, so x is clamped to the
  // normal range and lanes below it are forced to exact 0.
  static V Exp(V x) {
    const V kLow = Set1(-87.3365f);
    V underflow = _mm256_cmp_ps(x, kLow, _CMP_LT_OQ);
    x = _mm256_max_ps(_mm256_min_ps(x, Set1(88.0f)), kLow);  // keeps 2^n finite
    V n = _mm256_round_ps(_mm256_mul_ps(x, Set1(1.44269504088896341f)),
                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = _mm256_fnmadd_ps(n, Set1(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, Set1(-2.12194440e-4f), r);
    V p = Set1(1.9875691500e-4f);
    p = Fma(p, r, Set1(1.3981999507e-3f));
    p = Fma(p, r, Set1(8.3334519073e-3f));
    p = Fma(p, r, Set1(4.1665795894e-2f));
    p = Fma(p, r, Set1(1.6666665459e-1f));
    p = Fma(p, r, Set1(5.0000001201e-1f));
    p = Fma(p, _mm256_mul_ps(r, r), Add(r, Set1(1.0f)));
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    V result = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    return _mm256_andnot_ps(underflow, result);
  }
};

}  // namespace corgi::ops::avx2
