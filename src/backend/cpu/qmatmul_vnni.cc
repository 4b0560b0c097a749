// AVX512_VNNI kernel of the quantized matmul, bitwise equal to ref/ref_quant.cc. This file
// alone is compiled with -mavx512vnni (src/backend/CMakeLists.txt); the avx512 kernel table
// points at it only when __builtin_cpu_supports("avx512vnni").
//
// Why the layout fits: one k-quad of a panel-block is 64 bytes = 16 output rows × 4 inputs
// (core/quant_format.h). vpdpbusd multiplies the 64 unsigned weight bytes by the 4 signed
// activation bytes of that quad broadcast to all 16 dwords and adds each dword's 4
// products into its int32 lane: the 16 lanes ARE the panel's 16 outputs, so a block is 8
// vpdpbusd (q8) with no shuffles and no horizontal sums. The weight bytes are stored
// biased (q+128, or nibbles q+8), which is what vpdpbusd's unsigned operand wants; the bias
// comes off by starting the block's accumulator at -zp·Σx (QuantizedActivations::sum).
// Integer sums are exact, so only the float step is ordered: per block, float(dot) times
// (weight scale · activation scale) with one FMA, blocks in order, as the reference.
//
// Tiles: MR rows × NP panels keep MR·NP float accumulators and MR·NP int32 block
// accumulators in registers (of 32), and each weight vector loaded once serves MR rows.
// M >= 2: 4 × 3 (24 accumulators + 3 weight vectors + 1 activation broadcast), compute
// bound at ~70 % of vpdpbusd peak (the per-block convert, scale product and FMA cost ~3
// of every 11 vector ops). M = 1 (decode, memory bound): 1 × 6, six independent
// dot-product chains and six panel streams in flight. Measured alternatives for decode
// (one panel × 4 or 8 blocks of independent chains, 2 × 4, 3 × 2, software prefetch 2–8
// blocks ahead) were no better within the noise of the shared VM; docs/PERFORMANCE.md.
// GCC 12's AVX-512 intrinsics trip -Wmaybe-uninitialized (see simd_avx512.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>

#include "backend/cpu/qmatmul_impl.h"
#include "backend/cpu/qmatmul_kernels.h"
#include "corgi/core/quant_format.h"

namespace corgi::ops::internal {
namespace {

using qmatmul_impl::LoadQuad;

template <bool kQ4>
struct VnniKernel {
  static constexpr int64_t kBlockBytes = kQ4 ? quant::kQ4BlockBytes : quant::kQ8BlockBytes;
  static constexpr uint32_t kZeroPoint = kQ4 ? quant::kQ4ZeroPoint : quant::kQ8ZeroPoint;

  // The int32 dot products of block b for MR rows × NP panels (lanes = panel rows).
  template <int MR, int NP>
  static void Dots(const qmatmul_impl::TileOperands<MR, NP>& in, int64_t b,
                   __m512i (&dot)[MR][NP]) {
    const int64_t off = b * kBlockBytes + quant::kScaleBytes;
    const int64_t xo = b * quant::kBlockK;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      // -zp·Σx in wrapping int32 arithmetic (the sums are small; no UB either way).
      const __m512i init = _mm512_set1_epi32(
          static_cast<int32_t>(0u - kZeroPoint * static_cast<uint32_t>(in.xsum[r][b])));
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) dot[r][p] = init;
    }
    if constexpr (!kQ4) {
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        __m512i wv[NP];
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) wv[p] = _mm512_loadu_si512(in.w[p] + off + 64 * j);
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
          const __m512i xb = _mm512_set1_epi32(LoadQuad(in.xq[r] + xo + 4 * j));
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) dot[r][p] = _mm512_dpbusd_epi32(dot[r][p], wv[p], xb);
        }
      }
    } else {
      const __m512i nibble = _mm512_set1_epi8(0x0f);
#pragma GCC unroll 4
      for (int v = 0; v < 4; ++v) {
        __m512i lo[NP], hi[NP];
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const __m512i raw = _mm512_loadu_si512(in.w[p] + off + 64 * v);
          lo[p] = _mm512_and_si512(raw, nibble);
          hi[p] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), nibble);
        }
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
          const __m512i xl = _mm512_set1_epi32(LoadQuad(in.xq[r] + xo + 8 * v));
          const __m512i xh = _mm512_set1_epi32(LoadQuad(in.xq[r] + xo + 8 * v + 4));
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) {
            dot[r][p] = _mm512_dpbusd_epi32(dot[r][p], lo[p], xl);
            dot[r][p] = _mm512_dpbusd_epi32(dot[r][p], hi[p], xh);
          }
        }
      }
    }
  }

  // acc += float(dot) · (weight scale · activation scale): the reference's float step.
  template <int MR, int NP>
  static void Accumulate(const qmatmul_impl::TileOperands<MR, NP>& in, int64_t b,
                         const __m512i (&dot)[MR][NP], __m512 (&acc)[MR][NP]) {
    __m512 sw[NP];
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      sw[p] = _mm512_cvtph_ps(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in.w[p] + b * kBlockBytes)));
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 sx = _mm512_set1_ps(in.xs[r][b]);
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        acc[r][p] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r][p]), _mm512_mul_ps(sw[p], sx), acc[r][p]);
      }
    }
  }

  // y = acc (+ bias) for the valid columns of each panel.
  template <int MR, int NP>
  static void Store(const QMatMulArgs& a, int64_t row, int64_t panel, const __m512 (&acc)[MR][NP]) {
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      const int64_t col = (panel + p) * quant::kPanelRows;
      const int cnt = static_cast<int>(std::min<int64_t>(a.n - col, quant::kPanelRows));
      const __mmask16 mask = static_cast<__mmask16>((1u << cnt) - 1);
      __m512 bias = _mm512_setzero_ps();
      if (a.bias != nullptr) bias = _mm512_maskz_loadu_ps(mask, a.bias + col);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        __m512 v = acc[r][p];
        if (a.bias != nullptr) v = _mm512_add_ps(v, bias);
        _mm512_mask_storeu_ps(a.y + (row + r) * a.ldy + col, mask, v);
      }
    }
  }

  template <int MR, int NP>
  static void Tile(const QMatMulArgs& a, int64_t row, int64_t panel) {
    const qmatmul_impl::TileOperands<MR, NP> in(a, kBlockBytes, row, panel);
    __m512 acc[MR][NP];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_setzero_ps();
    for (int64_t b = 0; b < a.x.blocks; ++b) {
      __m512i dot[MR][NP];
      Dots(in, b, dot);
      Accumulate(in, b, dot, acc);
    }
    Store(a, row, panel, acc);
  }
};

template <bool kQ4>
void Run(const QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  if (a.x.m == 1) {
    qmatmul_impl::RunTiles<VnniKernel<kQ4>, 1, 6>(a, p_begin, p_end);
  } else {
    qmatmul_impl::RunTiles<VnniKernel<kQ4>, 4, 3>(a, p_begin, p_end);
  }
}

}  // namespace

void QMatMulVnni(const QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  if (a.format == DType::kQ4) {
    Run<true>(a, p_begin, p_end);
  } else {
    Run<false>(a, p_begin, p_end);
  }
}

}  // namespace corgi::ops::internal
