// AVX512_VNNI kernel of the quantized matmul, bitwise equal to ref/ref_quant.cc. This file
// alone is compiled with -mavx512vnni (src/backend/CMakeLists.txt); the avx512 kernel table
// points at it only when __builtin_cpu_supports("avx512vnni").
//
// Why the layout fits: one k-quad of a panel-block is 64 bytes = 16 output rows × 4 inputs
// (core/quant_format.h). vpdpbusd multiplies the 64 unsigned weight bytes by the 4 signed
// activation bytes of that quad broadcast to all 16 dwords and adds each dword's 4
// products into its int32 lane: the 16 lanes ARE the panel's 16 outputs, so a block is 8
// vpdpbusd (q8) with no shuffles and no horizontal sums (q6, q4: 4 nibble loads, each
// split into 2 vectors, plus q6's high bits OR-ed in). The weight bytes are stored
// unsigned, which is what vpdpbusd's unsigned operand wants; q8's and q6's zero point comes
// off by starting the block's accumulator at -zp·Σx (QuantizedActivations::sum), q4's
// minimum by a second FMA of -m·(sx·Σx). Integer sums are exact, so only the float steps
// are ordered: per block, float(dot) times (weight scale · activation scale) with one FMA
// (then q4's minimum), blocks in order, as the reference. q4's d = D·sc and m = M·mn are
// decoded per block and panel from the 6-bit codes (D and M converted once per group),
// amortized over the tile's rows.
//
// Tiles: MR rows × NP panels keep MR·NP float accumulators and MR·NP int32 block
// accumulators in registers (of 32), and each weight vector loaded once serves MR rows.
// M >= 2: 4 × 3 (24 accumulators + 3 weight vectors + 1 activation broadcast), compute
// bound at ~70 % of vpdpbusd peak (the per-block convert, scale product and FMA cost ~3
// of every 11 vector ops). M = 1 (decode, memory bound): 1 × 6, six independent
// dot-product chains and six panel streams in flight (q6: 1 × 4), each prefetched 2 KiB
// (q6: 4 KiB) ahead with the non-temporal hint and on into the next tile (kPrefetchBytes). Measured
// alternatives for decode (one panel × 4 or 8 blocks of independent chains, 2 × 4, 3 × 2)
// were no better within the noise of the shared VM; docs/PERFORMANCE.md.
#include "backend/cpu/avx512_intrinsics.h"

#include <algorithm>

#include "backend/cpu/qmatmul_impl.h"
#include "backend/cpu/qmatmul_kernels.h"
#include "corgi/core/quant_format.h"

namespace corgi::ops::internal {
namespace {

using qmatmul_impl::LoadQuad;

// The 64 stored bytes u of quad vectors 2v (lo) and 2v+1 (hi) of a kQ6/kQ4 block whose
// nibble vectors start at `nibbles`: the nibbles, and for kQ6 the two high bits from
// `high`, the vector after the nibbles that holds quads 4(v/2)..+3 at bit shifts 0, 2, 4,
// 6, moved to bits 4-5. 16-bit shifts leak bits between the bytes of a word; the 0x30 mask
// keeps only each byte's own two bits, and one vpternlogd does (shifted & 0x30) | nibble.
template <DType F>
inline void LoadNibblePair(const uint8_t* nibbles, int v, __m512i high, __m512i* lo, __m512i* hi) {
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  const __m512i raw = _mm512_loadu_si512(nibbles + quant::kQuadVectorBytes * v);
  *lo = _mm512_and_si512(raw, nibble);
  *hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), nibble);
  if constexpr (F == DType::kQ6) {
    const __m512i bits45 = _mm512_set1_epi8(0x30);
    // 0xEA: (A & B) | C with A = shifted high bits, B = 0x30, C = nibble.
    if (v % 2 == 0) {  // shifts 0 and 2
      *lo = _mm512_ternarylogic_epi32(_mm512_slli_epi16(high, 4), bits45, *lo, 0xEA);
      *hi = _mm512_ternarylogic_epi32(_mm512_slli_epi16(high, 2), bits45, *hi, 0xEA);
    } else {  // shifts 4 and 6
      *lo = _mm512_ternarylogic_epi32(high, bits45, *lo, 0xEA);
      *hi = _mm512_ternarylogic_epi32(_mm512_srli_epi16(high, 2), bits45, *hi, 0xEA);
    }
  }
}

template <DType F>
struct VnniKernel {
  static constexpr uint32_t kZeroPoint = F == DType::kQ8 ? quant::kQ8ZeroPoint : F == DType::kQ6 ? quant::kQ6ZeroPoint : 0;
  // Decode (M = 1) prefetch distance per panel stream. q6 and q4 spend several times q8's
  // vector instructions per weight byte, which leaves the core's own lookahead covering
  // fewer cache lines; asking 2 KiB ahead hides that. Measured on a 2b decode step's 28
  // layers of passes (backend_bench's BM_QMatMulDecodeLayers shapes, 2 threads, the two
  // variants alternating iteration by iteration in one process, a temporary harness
  // described in docs/PERFORMANCE.md): q4 0.79–0.95 of the time
  // without prefetch, 256 B to 8 KiB all tried, 2 KiB best (4 KiB +2–4 %, 8 KiB +6–19 %);
  // q6 2 KiB 0.97–0.99 of 4 KiB. q8 (a load and a vpdpbusd per 64 bytes) was 5–10 %
  // slower with it: the prefetches cost more than they hide.
  // The non-temporal hint took 0.970–0.986 of T0's time for q4 and 0.980–0.994 for q6 in 8
  // of 8 runs of the same harness; T1 was 2–18 % slower at 2 to 8 KiB, and with NTA 1 and
  // 3 KiB were no better than 2. Carrying each stream on into the next tile of the call
  // (PrefetchDecodeStreams) took q6 0.96–0.98 and q4 0.97–1.00 of the time of stopping at
  // the tile's end (3 runs of 400; q8, which does not prefetch, 1.00–1.01 as the control).
  // Since the guided work chunks (ops.cc), whose calls run longer, q6 at 4 KiB took
  // 0.957–0.998 of the time at 2 KiB in 7 of 7 runs, on 4 KiB and on 2 MiB pages; 6 KiB
  // 0.98–1.02. In the real decode, alternating step by step within one run: 0.986–1.004 (4
  // runs, 200 steps). q4 at 3 or 4 KiB: 1.00–1.015.
  static constexpr int64_t kPrefetchBytes = F == DType::kQ8 ? 0 : F == DType::kQ6 ? 4096 : 2048;

  // Halves per block with their own scale (kQ6), else 1.
  static constexpr int kParts = F == DType::kQ6 ? 2 : 1;

  // The int32 dot products Σ (u − zero point)·x of part `part` of block b (the whole block,
  // or kQ6's 16-input half) for MR rows × NP panels (lanes = panel rows).
  template <int MR, int NP>
  static void Dots(const qmatmul_impl::TileOperands<MR, NP>& in, int64_t b, int part,
                   __m512i (&dot)[MR][NP]) {
    const int64_t off = quant::BlockOffset(F, b) + quant::ValueOffset(F);
    const int64_t xo = b * quant::kBlockK;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      // -zp·Σx in wrapping int32 arithmetic (the sums are small; no UB either way).
      const int32_t xsum = F == DType::kQ6 ? in.xhalf[r][2 * b + part] : in.xsum[r][b];
      const __m512i init = _mm512_set1_epi32(static_cast<int32_t>(0u - kZeroPoint * static_cast<uint32_t>(xsum)));
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) dot[r][p] = init;
    }
    if constexpr (F == DType::kQ8) {
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
      constexpr int kPairs = 4 / kParts;  // nibble vectors (quad pairs) per part
#pragma GCC unroll 4
      for (int pv = 0; pv < kPairs; ++pv) {
        const int v = part * kPairs + pv;
        __m512i lo[NP], hi[NP];
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          __m512i high = _mm512_setzero_si512();
          if constexpr (F == DType::kQ6) {
            high = _mm512_loadu_si512(in.w[p] + off + quant::kNibbleBytes + quant::kQuadVectorBytes * (v / 2));
          }
          LoadNibblePair<F>(in.w[p] + off, v, high, &lo[p], &hi[p]);
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

  // kQ6, kQ4: the 16 rows' D (and kQ4's M) of the group that starts at block b, as float
  // (`dm[0]`, `dm[1]`): converted once per group rather than once per block. At M = 1 the
  // per-block conversions were a tenth of the q4 kernel's vector instructions, enough to
  // keep two threads from streaming at full bandwidth (docs/PERFORMANCE.md).
  static void GroupScales(const uint8_t* panel, int64_t b, float (&dm)[2][quant::kPanelRows]) {
    const uint8_t* header = panel + quant::HeaderOffset(F, b);
    _mm512_store_ps(dm[0], _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(header))));
    if constexpr (F == DType::kQ4) {
      _mm512_store_ps(dm[1], _mm512_cvtph_ps(_mm256_loadu_si256(
                                 reinterpret_cast<const __m256i*>(header + quant::kScaleBytes))));
    }
  }

  // kQ4: the 16 rows' d = D·sc and m = M·mn of block b of the panel at `panel`, from the
  // group's D and M (`dm`, GroupScales).
  static void Q4Scales(const uint8_t* panel, int64_t b, const float (&dm)[2][quant::kPanelRows], __m512* d, __m512* m) {
    const uint8_t* codes = panel + quant::BlockOffset(F, b);
    const __m512i low = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes)));
    int64_t eight;
    std::memcpy(&eight, codes + quant::kPanelRows, 8);
    // lanes 0-7 and 8-15 both read bytes 0-7: rows 0-7 take the low nibbles, 8-15 the high.
    __m512i high = _mm512_cvtepu8_epi32(_mm_set1_epi64x(eight));
    high = _mm512_and_si512(_mm512_srlv_epi32(high, _mm512_set_epi32(4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0)),
                            _mm512_set1_epi32(0x0f));
    const __m512i sc = _mm512_and_si512(low, _mm512_set1_epi32(quant::kQ4CodeMax));
    const __m512i mn = _mm512_or_si512(_mm512_srli_epi32(low, 6), _mm512_slli_epi32(high, 2));
    *d = _mm512_mul_ps(_mm512_load_ps(dm[0]), _mm512_cvtepi32_ps(sc));
    *m = _mm512_mul_ps(_mm512_load_ps(dm[1]), _mm512_cvtepi32_ps(mn));
  }

  // acc += float(dot) · (weight scale · activation scale), and for kQ4 then
  // acc += m · −(activation scale · Σx): the reference's float steps for part `part`.
  template <int MR, int NP>
  static void Accumulate(const qmatmul_impl::TileOperands<MR, NP>& in, int64_t b, int part,
                         const float (&dm)[NP][2][quant::kPanelRows], const __m512i (&dot)[MR][NP],
                         __m512 (&acc)[MR][NP]) {
    __m512 sw[NP], mw[NP];
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      const uint8_t* block = in.w[p] + quant::BlockOffset(F, b);
      if constexpr (F == DType::kQ4) {
        Q4Scales(in.w[p], b, dm[p], &sw[p], &mw[p]);
      } else if constexpr (F == DType::kQ6) {  // D · code of this half (exact in float)
        const __m512 group = _mm512_load_ps(dm[p][0]);
        const __m512i code = _mm512_cvtepi8_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + part * quant::kPanelRows)));
        sw[p] = _mm512_mul_ps(group, _mm512_cvtepi32_ps(code));
      } else {
        sw[p] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block)));
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 sx = _mm512_set1_ps(in.xs[r][b]);
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        acc[r][p] =
            _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r][p]), _mm512_mul_ps(sw[p], sx), acc[r][p]);
      }
      if constexpr (F == DType::kQ4) {
        const __m512 neg_sum = _mm512_set1_ps(-(in.xs[r][b] * static_cast<float>(in.xsum[r][b])));
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_fmadd_ps(mw[p], neg_sum, acc[r][p]);
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
  static void Tile(const QMatMulArgs& a, int64_t row, int64_t panel, qmatmul_impl::PanelRun run) {
    const qmatmul_impl::TileOperands<MR, NP> in(a, row, panel);
    __m512 acc[MR][NP];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_setzero_ps();
    const int64_t panel_bytes = quant::PanelBytes(F, a.x.blocks * quant::kBlockK);
    alignas(64) float dm[NP][2][quant::kPanelRows];  // kQ6, kQ4: the current group's D (and M) per panel
    for (int64_t b = 0; b < a.x.blocks; ++b) {
      if constexpr (F != DType::kQ8) {
        if (b % quant::kGroupBlocks == 0) {
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) GroupScales(in.w[p], b, dm[p]);
        }
      }
      if constexpr (MR == 1 && kPrefetchBytes > 0) {
        // The core's own lookahead covers fewer lines when a block's unpacking takes many
        // instructions, as q6's and q4's do.
        qmatmul_impl::PrefetchDecodeStreams<NP>(in.w, F, panel_bytes, b, panel, run, kPrefetchBytes);
      }
#pragma GCC unroll 2
      for (int part = 0; part < kParts; ++part) {
        __m512i dot[MR][NP];
        Dots(in, b, part, dot);
        Accumulate(in, b, part, dm, dot, acc);
      }
    }
    Store(a, row, panel, acc);
  }
};

template <DType F>
void Run(const QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  if (a.x.m == 1) {
    // q6 keeps two halves' state per panel: 4 panels leave it registers; q8 and q4 take 6.
    qmatmul_impl::RunTiles<VnniKernel<F>, 1, (F == DType::kQ6 ? 4 : 6)>(a, p_begin, p_end);
  } else {
    qmatmul_impl::RunTiles<VnniKernel<F>, 4, 3>(a, p_begin, p_end);
  }
}

}  // namespace

void QMatMulVnni(const QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  switch (a.format) {
    case DType::kQ4: Run<DType::kQ4>(a, p_begin, p_end); break;
    case DType::kQ6: Run<DType::kQ6>(a, p_begin, p_end); break;
    default: Run<DType::kQ8>(a, p_begin, p_end); break;
  }
}

}  // namespace corgi::ops::internal
