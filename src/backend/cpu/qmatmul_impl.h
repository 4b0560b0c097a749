// Private: the ISA-independent part of the quantized matmul kernels (qmatmul_avx2.cc,
// qmatmul_vnni.cc): walking the rows × panels of one qmatmul call in register tiles.
//
// A kernel type K provides
//   template <int MR, int NP>
//   static void Tile(const QMatMulArgs&, int64_t row, int64_t panel, PanelRun run)
// computing rows [row, row+MR) × panels [panel, panel+NP) of the run completely (all blocks, in block
// order, then the bias). Every output element therefore sees the same sequence of float
// operations whatever tile it falls in, so the tiling never changes a bit of y (batch
// invariance: a row's result does not depend on M or on the thread split).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include <xmmintrin.h>  // _mm_prefetch (SSE: every x86-64 path)

#include "backend/cpu/kernel_table.h"
#include "corgi/core/quant_format.h"

namespace corgi::ops::qmatmul_impl {

// The panels [begin, end) one call of a kernel covers, in tiles of P panels in order.
struct PanelRun {
  int64_t begin, end;
};
using TileFn = void (*)(const internal::QMatMulArgs&, int64_t row, int64_t panel, PanelRun run);

template <class K, int P, int... I>
constexpr auto MakeTileTable(std::integer_sequence<int, I...>) {
  struct Table {
    TileFn fn[sizeof...(I)];
  };
  return Table{{&K::template Tile<I / P + 1, I % P + 1>...}};
}

// Rows × panels in tiles of at most R × P. Panel groups outside, rows inside: one group's
// weights (P panels, a few hundred KiB) stay in L2 while every row tile streams past them.
template <class K, int R, int P>
void RunTiles(const internal::QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  static constexpr auto kTable = MakeTileTable<K, P>(std::make_integer_sequence<int, R * P>());
  for (int64_t p = p_begin; p < p_end; p += P) {
    const int np = static_cast<int>(std::min<int64_t>(P, p_end - p));
    for (int64_t r = 0; r < a.x.m; r += R) {
      const int mr = static_cast<int>(std::min<int64_t>(R, a.x.m - r));
      kTable.fn[(mr - 1) * P + (np - 1)](a, r, p, PanelRun{p_begin, p_end});
    }
  }
}

// The operands of an MR-row × NP-panel tile: each panel's start and each row's
// quantized activations, scales and sums.
template <int MR, int NP>
struct TileOperands {
  const uint8_t* w[NP];
  const int8_t* xq[MR];
  const float* xs[MR];
  const int32_t* xsum[MR];
  const int32_t* xhalf[MR];  // kQ6: Σx per 16 inputs

  TileOperands(const internal::QMatMulArgs& a, int64_t row, int64_t panel) {
    const int64_t blocks = a.x.blocks, kp = blocks * quant::kBlockK;
    const int64_t panel_bytes = quant::PanelBytes(a.format, kp);
    for (int i = 0; i < NP; ++i) w[i] = a.w + (panel + i) * panel_bytes;
    for (int r = 0; r < MR; ++r) {
      xq[r] = a.x.q + (row + r) * kp;
      xs[r] = a.x.scale + (row + r) * blocks;
      xsum[r] = a.x.sum + (row + r) * blocks;
      xhalf[r] = a.x.half_sum != nullptr ? a.x.half_sum + (row + r) * 2 * blocks : nullptr;
    }
  }
};

// Decode (one activation row) reads each weight panel from memory once. The tile's NP panel
// streams (w[p]: panel p of the tile, panel_bytes long) are prefetched `distance` bytes ahead
// of block b, a block's worth per call, with the non-temporal hint: the weights are read once
// per step and should not push other data out of the caches. Each stream carries on into
// panel p of the run's next tile, so the lines past this tile's end are in flight before that
// tile starts; the run's first tile, whose streams start cold, also asks for its own first
// `distance` bytes at block 0. Measured per kernel: qmatmul_vnni.cc, qmatmul_avx2.cc,
// docs/PERFORMANCE.md.
// always_inline is needed: a function that only prefetches has no side effects to GCC's
// interprocedural analysis, so a call that is not inlined early is deleted as dead, and the
// prefetches with it (g++ 12 -O3 emitted none).
template <int NP>
[[gnu::always_inline]] inline void PrefetchDecodeStreams(const uint8_t* const (&w)[NP], DType format,
                                                         int64_t panel_bytes, int64_t b, int64_t panel,
                                                         PanelRun run, int64_t distance) {
  if (b == 0 && panel == run.begin) {
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p)
      for (int64_t o = 0; o < distance; o += 64) _mm_prefetch(reinterpret_cast<const char*>(w[p] + o), _MM_HINT_NTA);
  }
  const int64_t from = quant::BlockOffset(format, b) + distance;
  const int64_t to = quant::BlockOffset(format, b + 1) + distance;
  const int64_t inside = std::min(to, panel_bytes);
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    for (int64_t o = from; o < inside; o += 64) _mm_prefetch(reinterpret_cast<const char*>(w[p] + o), _MM_HINT_NTA);
  if (to <= panel_bytes) return;
  // Offset o >= panel_bytes of stream p is o - panel_bytes into panel p of the next tile,
  // NP panels on: w[p] + NP·panel_bytes + (o - panel_bytes). That tile may be narrower.
  const int64_t next = std::min<int64_t>(NP, run.end - panel - NP);
  for (int p = 0; p < next; ++p)
    for (int64_t o = std::max(from, panel_bytes); o < to; o += 64)
      _mm_prefetch(reinterpret_cast<const char*>(w[p] + (NP - 1) * panel_bytes + o), _MM_HINT_NTA);
}

// The 4 activation bytes of one k-quad as an int32 (for a broadcast).
inline int32_t LoadQuad(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace corgi::ops::qmatmul_impl
