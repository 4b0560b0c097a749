// AVX2 kernels of the quantized matmul (no VNNI): activation quantization and the
// block-scaled int8 dot products of ops.h, bitwise equal to ref/ref_quant.cc.
// This file alone is compiled with the AVX2 flags (src/backend/CMakeLists.txt).
//
// The panel layout (core/quant_format.h) gives, for one k-quad, 64 bytes = 16 output rows ×
// 4 inputs; a 256-bit register holds half of it: 8 outputs × 4 inputs. Against the 4
// activation bytes of that quad broadcast to all 8 dwords, pmaddubsw + pmaddwd leave each
// int32 lane holding one output's 4-input dot product, so the lanes are the outputs and no
// horizontal reduction is needed (the same idea as vpdpbusd in qmatmul_vnni.cc).
//   q8: pmaddubsw multiplies unsigned by signed bytes and saturates its pair sums; the
//       stored q+128 (up to 255) times an activation (up to 127) could overflow, so the
//       weight is made signed (q = stored ^ 0x80) and the sign moved to the activation side:
//       maddubs(|x|, sign(q, x)) = Σ x·q, pairs within ±2·127², never saturating.
//   q6, q4: the stored u (0..63, 0..15) are already small unsigned bytes: maddubs(u, x)
//       stays within ±2·63·127 (±2·15·127), so sums go through int16 before a pmaddwd; q6's
//       zero point comes off as 32·Σx (QuantizedActivations::sum), q4's minimum as the
//       reference's second FMA, -m·(sx·Σx).
// Tiles: 16 ymm registers hold MR rows × 2 half-panels of int32 dot products and float
// accumulators plus the shared weight and activation vectors; 2 rows × 1 panel leaves room
// for them without spills. Decode (MR = 1) prefetches its panel stream (kPrefetchBytes).
#include <immintrin.h>

#include <algorithm>

#include "backend/cpu/qmatmul_impl.h"
#include "backend/cpu/qmatmul_kernels.h"
#include "backend/cpu/ref/ref_kernels.h"
#include "corgi/core/quant_format.h"

namespace corgi::ops::internal {
namespace {

using qmatmul_impl::LoadQuad;

// Lanes [0, n) set.
inline __m256i LaneMask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// One full block of 32 activations (ref::QuantizeRow's rule, the same float steps).
inline void QuantizeBlock(const float* x, int8_t* q, float* scale, int32_t* sum) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 v[4];
  // max(|x|, m) returns m when x is NaN, as std::fmax(m, |x|) does; lanes never hold NaN.
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_loadu_ps(x + 8 * i);
    m = _mm256_max_ps(_mm256_andnot_ps(sign, v[i]), m);
  }
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const float amax = _mm_cvtss_f32(m4);
  const __m256 inv = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
  // cvtps2dq rounds half to even (the default MXCSR mode) and gives INT32_MIN where
  // x·inv is out of range, exactly as the reference's conversion.
  __m256i c[4];
  __m256i s = _mm256_setzero_si256();
  const __m256i low_byte = _mm256_set1_epi32(0xff);
  for (int i = 0; i < 4; ++i) {
    c[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], inv));
    // Σ of the stored bytes (int8 of each value), as the reference.
    s = _mm256_add_epi32(s, _mm256_srai_epi32(_mm256_slli_epi32(c[i], 24), 24));
    c[i] = _mm256_and_si256(c[i], low_byte);  // int8 truncation, then exact packs
  }
  const __m256i p01 = _mm256_packus_epi32(c[0], c[1]);
  const __m256i p23 = _mm256_packus_epi32(c[2], c[3]);
  const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(p01, p23),
                                                    _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), bytes);
  __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
  *scale = amax / 127.0f;
  *sum = _mm_cvtsi128_si32(s4);
}

// The stored bytes u of quad vectors 2v (lo) and 2v+1 (hi) for 8 rows (half h of the
// panel) of a kQ6/kQ4 block whose nibble vectors start at `nibbles` (as qmatmul_vnni.cc).
template <DType F>
inline void LoadNibblePair(const uint8_t* nibbles, int v, int h, __m256i* lo, __m256i* hi) {
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const auto* p = reinterpret_cast<const __m256i*>(nibbles + quant::kQuadVectorBytes * v + 32 * h);
  const __m256i raw = _mm256_loadu_si256(p);
  *lo = _mm256_and_si256(raw, nibble);
  *hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), nibble);
  if constexpr (F == DType::kQ6) {
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
        nibbles + quant::kNibbleBytes + quant::kQuadVectorBytes * (v / 2) + 32 * h));
    if (v % 2 == 0) {
      *lo = _mm256_or_si256(*lo, _mm256_and_si256(_mm256_slli_epi16(high, 4), bits45));
      *hi = _mm256_or_si256(*hi, _mm256_and_si256(_mm256_slli_epi16(high, 2), bits45));
    } else {
      *lo = _mm256_or_si256(*lo, _mm256_and_si256(high, bits45));
      *hi = _mm256_or_si256(*hi, _mm256_and_si256(_mm256_srli_epi16(high, 2), bits45));
    }
  }
}

// kQ4: d = D·sc and m = M·mn of rows 8h..8h+7 of block b of the panel at `panel`.
inline void Q4Scales(const uint8_t* panel, int64_t b, int h, __m256* d, __m256* m) {
  const uint8_t* header = panel + quant::HeaderOffset(DType::kQ4, b);
  const uint8_t* codes = panel + quant::BlockOffset(DType::kQ4, b);
  const __m256i low =
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + 8 * h)));
  // rows 8h..8h+7 take the low (h = 0) or high (h = 1) nibbles of the 8 high-code bytes
  const __m256i high = _mm256_and_si256(
      _mm256_srli_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64(
                            reinterpret_cast<const __m128i*>(codes + quant::kPanelRows))),
                        4 * h),
      _mm256_set1_epi32(0x0f));
  const __m256i sc = _mm256_and_si256(low, _mm256_set1_epi32(quant::kQ4CodeMax));
  const __m256i mn = _mm256_or_si256(_mm256_srli_epi32(low, 6), _mm256_slli_epi32(high, 2));
  *d = _mm256_mul_ps(
      _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(header + 16 * h))),
      _mm256_cvtepi32_ps(sc));
  *m = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128(
                         reinterpret_cast<const __m128i*>(header + quant::kScaleBytes + 16 * h))),
                     _mm256_cvtepi32_ps(mn));
}

template <DType F>
struct Avx2Kernel {
  // Decode (MR = 1) reads each panel from memory once, one panel per tile: prefetching it
  // 2 KiB ahead took 0.85–0.88 of the time without for q6, 0.93–0.95 for q8 and 0.98–1.00
  // for q4 (a 2b decode step's 28 layers of passes, 2 threads, CORGI_KERNELS=avx2, the two
  // variants alternating in one process, 4 runs; docs/PERFORMANCE.md); 1 KiB was worse for
  // q4 (1.02–1.10). Carrying each stream on into the next panel of the call, then 2 runs:
  // q8 0.95–0.96, q6 0.96–0.97, q4 1.00 of the time of stopping at the panel's end.
  static constexpr int64_t kPrefetchBytes = 2048;

  template <int MR, int NP>
  static void Tile(const QMatMulArgs& a, int64_t row, int64_t panel, qmatmul_impl::PanelRun run) {
    constexpr int NH = 2 * NP;  // half panels: 8 outputs each, one ymm
    constexpr int64_t kValueOffset = quant::ValueOffset(F);
    constexpr int kParts = F == DType::kQ6 ? 2 : 1;  // kQ6: a scale per 16 inputs
    const int64_t blocks = a.x.blocks;
    const qmatmul_impl::TileOperands<MR, NP> in(a, row, panel);
    const auto& w = in.w;
    const auto& xq = in.xq;
    const auto& xs = in.xs;
    const auto& xsum = in.xsum;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[MR][NH] = {};  // zeros
    const int64_t panel_bytes = quant::PanelBytes(F, blocks * quant::kBlockK);
    for (int64_t b = 0; b < blocks; ++b) {
      if constexpr (MR == 1) qmatmul_impl::PrefetchDecodeStreams<NP>(w, F, panel_bytes, b, panel, run, kPrefetchBytes);
#pragma GCC unroll 2
      for (int part = 0; part < kParts; ++part) {
        const int64_t off = quant::BlockOffset(F, b);
        const int64_t xo = b * quant::kBlockK;
        __m256i dot[MR][NH] = {};  // zeros (q8 accumulates into them)
        if constexpr (F == DType::kQ8) {
          const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
#pragma GCC unroll 8
          for (int j = 0; j < 8; ++j) {
            __m256i wv[NH];
#pragma GCC unroll 8
            for (int h = 0; h < NH; ++h) {
              const uint8_t* p = w[h / 2] + off + quant::kScaleBytes + 64 * j + 32 * (h % 2);
              wv[h] =
                  _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), flip);
            }
#pragma GCC unroll 8
            for (int r = 0; r < MR; ++r) {
              const __m256i xb = _mm256_set1_epi32(LoadQuad(xq[r] + xo + 4 * j));
              const __m256i ax = _mm256_abs_epi8(xb);
#pragma GCC unroll 8
              for (int h = 0; h < NH; ++h) {
                const __m256i prod = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(wv[h], xb));
                dot[r][h] = _mm256_add_epi32(dot[r][h], _mm256_madd_epi16(prod, ones));
              }
            }
          }
        } else {
          // maddubs(u, x) pairs stay within ±2·63·127 (q6) or ±2·15·127 (q4). q4 adds a block's
          // 8 products in int16 (±30480) before one pmaddwd; q6 widens each quad pair (±32004).
          constexpr int kPairs = 4 / kParts;
          __m256i t[MR][NH] = {};  // zeros
#pragma GCC unroll 4
          for (int pv = 0; pv < kPairs; ++pv) {
            const int v = part * kPairs + pv;
            __m256i lo[NH], hi[NH];
#pragma GCC unroll 8
            for (int h = 0; h < NH; ++h)
              LoadNibblePair<F>(w[h / 2] + off + kValueOffset, v, h % 2, &lo[h], &hi[h]);
#pragma GCC unroll 8
            for (int r = 0; r < MR; ++r) {
              const __m256i xl = _mm256_set1_epi32(LoadQuad(xq[r] + xo + 8 * v));
              const __m256i xh = _mm256_set1_epi32(LoadQuad(xq[r] + xo + 8 * v + 4));
#pragma GCC unroll 8
              for (int h = 0; h < NH; ++h) {
                const __m256i pair = _mm256_add_epi16(_mm256_maddubs_epi16(lo[h], xl),
                                                      _mm256_maddubs_epi16(hi[h], xh));
                if constexpr (F == DType::kQ6) {
                  dot[r][h] = _mm256_add_epi32(dot[r][h], _mm256_madd_epi16(pair, ones));
                } else {
                  t[r][h] = _mm256_add_epi16(t[r][h], pair);
                }
              }
            }
          }
#pragma GCC unroll 8
          for (int r = 0; r < MR; ++r) {
            if constexpr (F == DType::kQ6) {
              const __m256i zp = _mm256_set1_epi32(
                  static_cast<int32_t>(static_cast<uint32_t>(quant::kQ6ZeroPoint) *
                                       static_cast<uint32_t>(in.xhalf[r][2 * b + part])));
#pragma GCC unroll 8
              for (int h = 0; h < NH; ++h) dot[r][h] = _mm256_sub_epi32(dot[r][h], zp);
            } else {
#pragma GCC unroll 8
              for (int h = 0; h < NH; ++h) dot[r][h] = _mm256_madd_epi16(t[r][h], ones);
            }
          }
        }
        __m256 sw[NH], mw[NH];
#pragma GCC unroll 8
        for (int h = 0; h < NH; ++h) {
          if constexpr (F == DType::kQ4) {
            Q4Scales(w[h / 2], b, h % 2, &sw[h], &mw[h]);
          } else if constexpr (F == DType::kQ6) {  // D · code of this half (exact in float)
            const __m256 group = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
                w[h / 2] + quant::HeaderOffset(F, b) + 16 * (h % 2))));
            const __m256i code =
                _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(
                    w[h / 2] + off + part * quant::kPanelRows + 8 * (h % 2))));
            sw[h] = _mm256_mul_ps(group, _mm256_cvtepi32_ps(code));
          } else {
            sw[h] = _mm256_cvtph_ps(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[h / 2] + off + 16 * (h % 2))));
          }
        }
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
          const __m256 sx = _mm256_set1_ps(xs[r][b]);
#pragma GCC unroll 8
          for (int h = 0; h < NH; ++h) {
            acc[r][h] =
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[r][h]), _mm256_mul_ps(sw[h], sx), acc[r][h]);
          }
          if constexpr (F == DType::kQ4) {
            const __m256 neg_sum = _mm256_set1_ps(-(xs[r][b] * static_cast<float>(xsum[r][b])));
#pragma GCC unroll 8
            for (int h = 0; h < NH; ++h) acc[r][h] = _mm256_fmadd_ps(mw[h], neg_sum, acc[r][h]);
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int h = 0; h < NH; ++h) {
      const int64_t col = panel * quant::kPanelRows + 8 * h;
      const int cnt = static_cast<int>(std::clamp<int64_t>(a.n - col, 0, 8));
      if (cnt == 0) continue;
      const __m256i mask = LaneMask(cnt);
      __m256 bias = _mm256_setzero_ps();
      if (a.bias != nullptr) bias = _mm256_maskload_ps(a.bias + col, mask);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        __m256 v = acc[r][h];
        if (a.bias != nullptr) v = _mm256_add_ps(v, bias);
        float* y = a.y + (row + r) * a.ldy + col;
        if (cnt == 8) {
          _mm256_storeu_ps(y, v);
        } else {
          _mm256_maskstore_ps(y, mask, v);
        }
      }
    }
  }
};

}  // namespace

void QuantizeRowAvx2(const float* x, int64_t k, int8_t* q, float* scale, int32_t* sum) {
  const int64_t full = k / quant::kBlockK;
  for (int64_t b = 0; b < full; ++b) {
    QuantizeBlock(x + b * quant::kBlockK, q + b * quant::kBlockK, scale + b, sum + b);
  }
  if (full * quant::kBlockK < k) {  // the zero-padded tail block
    const int64_t k0 = full * quant::kBlockK;
    ref::QuantizeRow(x + k0, k - k0, q + k0, scale + full, sum + full);
  }
}

void QMatMulAvx2(const QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  switch (a.format) {
    case DType::kQ4:
      qmatmul_impl::RunTiles<Avx2Kernel<DType::kQ4>, 2, 1>(a, p_begin, p_end);
      break;
    case DType::kQ6:
      qmatmul_impl::RunTiles<Avx2Kernel<DType::kQ6>, 2, 1>(a, p_begin, p_end);
      break;
    default:
      qmatmul_impl::RunTiles<Avx2Kernel<DType::kQ8>, 2, 1>(a, p_begin, p_end);
      break;
  }
}

}  // namespace corgi::ops::internal
