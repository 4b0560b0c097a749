// Private: flash-style attention for one query head and a block of query rows, written
// once against a vector type S (simd_avx512.h, simd_avx2.h) and instantiated per ISA.
//
// Keys are visited in fixed blocks of kAttentionKeyBlock counted from key 0. For each
// block, the keys are transposed to [head_dim, block] so scores are computed key-parallel
// (lane = key, one FMA chain over d), then the running max / sum / output of each row are
// rescaled (online softmax). A row uses exactly the keys it may see in each block and
// nothing about the other rows, so a query's output is bitwise the same in a prefill of
// any length and in a single-token decode step with the same past.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "backend/cpu/kernel_table.h"

namespace corgi::ops::simd_impl {

template <class S>
inline float ExpScalar(float x) {
  float lanes[S::kLanes];
  S::Store(lanes, S::Exp(S::Set1(x)));
  return lanes[0];
}

// For each of R rows: acc_r[d0 .. d0 + G·L) = acc_r·corr_r + Σ_j p_r[j]·v_j[d0 ..], j
// ascending. `n` < L marks one partial vector (G == 1) at the end of head_dim. The R rows
// share each loaded value vector; every row's own sums run in the same order as with R = 1.
template <class S, int G, int R>
inline void AccumulateValues(float* const* acc, const float* v, int64_t ldv, const float* const* p,
                             int64_t count, const float* corr, int64_t d0, int n) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V a[R][G];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const V c = S::Set1(corr[r]);
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) a[r][g] = S::Mul(S::LoadN(acc[r] + d0 + g * L, n), c);
  }
  for (int64_t j = 0; j < count; ++j) {
    const float* row = v + j * ldv + d0;
    V vj[G];
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) vj[g] = S::LoadN(row + g * L, n);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const V pj = S::Set1(p[r][j]);
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) a[r][g] = S::Fma(pj, vj[g], a[r][g]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) S::StoreN(acc[r] + d0 + g * L, a[r][g], n);
}

struct RowState {
  float max;
  float sum;
};

// R query rows against one key block: kt [hd, kBlock] transposed keys (row stride ldkt), v points at the
// block's first value row, `visible` keys of the block are unmasked for every row. Rows
// are independent — row r's result is bitwise what it gets with R = 1 — and share each
// loaded key and value vector, which halves the loads per FMA at R = 4.
template <class S, int R>
inline void AttendBlock(const float* const* q, const float* kt, int64_t ldkt, const float* v, int64_t ldv, int64_t hd,
                        int64_t visible, float scale, RowState* const* st, float* const* acc) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  constexpr int64_t kBlock = internal::kAttentionKeyBlock;
  constexpr int kChunks = static_cast<int>(kBlock / L);
  alignas(64) float p[R][kBlock];
  V s[R][kChunks];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < kChunks; ++c) s[r][c] = S::Zero();
  for (int64_t d = 0; d < hd; ++d) {
    const float* kd = kt + d * ldkt;
    V k[kChunks];
#pragma GCC unroll 16
    for (int c = 0; c < kChunks; ++c) k[c] = S::Load(kd + c * L);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const V qd = S::Set1(q[r][d]);
#pragma GCC unroll 16
      for (int c = 0; c < kChunks; ++c) s[r][c] = S::Fma(qd, k[c], s[r][c]);
    }
  }
  const V vscale = S::Set1(scale);
  float corr[R];
  const float* prow[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int c = 0; c < kChunks; ++c) S::Store(p[r] + c * L, S::Mul(s[r][c], vscale));
    for (int64_t j = visible; j < kBlock; ++j) p[r][j] = -std::numeric_limits<float>::infinity();
    V vmax = S::Load(p[r]);
#pragma GCC unroll 16
    for (int c = 1; c < kChunks; ++c) vmax = S::Max(vmax, S::Load(p[r] + c * L));
    const float block_max = S::ReduceMax(vmax);
    const float new_max = block_max > st[r]->max ? block_max : st[r]->max;
    corr[r] = ExpScalar<S>(st[r]->max - new_max);  // 0 on the first block (max = −inf)
    const V m = S::Set1(new_max);
    V vsum = S::Zero();
#pragma GCC unroll 16
    for (int c = 0; c < kChunks; ++c) {
      const V e = S::Exp(S::Sub(S::Load(p[r] + c * L), m));  // masked keys give exactly 0
      S::Store(p[r] + c * L, e);
      vsum = S::Add(vsum, e);
    }
    st[r]->sum = st[r]->sum * corr[r] + S::ReduceAdd(vsum);
    st[r]->max = new_max;
    prow[r] = p[r];
  }
  int64_t d0 = 0;
  for (; d0 + 4 * L <= hd; d0 += 4 * L)
    AccumulateValues<S, 4, R>(acc, v, ldv, prow, visible, corr, d0, L);
  for (; d0 + L <= hd; d0 += L) AccumulateValues<S, 1, R>(acc, v, ldv, prow, visible, corr, d0, L);
  if (d0 < hd) AccumulateValues<S, 1, R>(acc, v, ldv, prow, visible, corr, d0, static_cast<int>(hd - d0));
}

// Work item: query rows [q_begin, q_end) of the query heads sharing kv head `kv_head`.
// Item row r is query q_begin + r / group of head kv_head·group + r % group.
template <class S>
void Attention(const internal::AttentionArgs& a, int64_t kv_head, int64_t q_begin, int64_t q_end) {
  constexpr int64_t kBlock = internal::kAttentionKeyBlock;
  constexpr int64_t kMaxRows = internal::kAttentionRowsPerItem;
  const AttentionParams& prm = a.p;
  const int64_t hd = prm.head_dim;
  const int64_t group = prm.num_heads / prm.num_kv_heads;
  const int64_t rows = (q_end - q_begin) * group;
  // Per-block copies: strided rows of a fused qkv buffer would otherwise land in the same
  // L1 sets (row strides of 4 KiB) and thrash.
  alignas(64) float kt[internal::kMaxHeadDim * kBlock];     // [hd, kBlock] keys, transposed
  alignas(64) float vb[kBlock * internal::kMaxHeadDim];     // [kBlock, hd] values
  alignas(64) float acc[kMaxRows * internal::kMaxHeadDim];  // [rows, hd]
  RowState state[kMaxRows];
  for (int64_t r = 0; r < rows; ++r) {
    state[r] = {-std::numeric_limits<float>::infinity(), 0.0f};
    for (int64_t d = 0; d < hd; ++d) acc[r * hd + d] = 0.0f;
  }
  // Keys visible to the item's last query bound the loop; each row then stops at its own.
  int64_t key_end = a.skv;
  if (prm.causal && prm.past + q_end < key_end) key_end = prm.past + q_end;
  for (int64_t j0 = 0; j0 < key_end; j0 += kBlock) {
    const int64_t count = key_end - j0 < kBlock ? key_end - j0 : kBlock;
    // keys: [hd, kBlock] transposed, row stride ldkt. A KV page stores them so (kv_pages.h),
    // and a whole block inside one page is read in place; otherwise they are copied here.
    const float* keys = kt;
    int64_t ldkt = kBlock;
    if (a.k_transposed && count == kBlock && a.RowsInOnePage(j0, count)) {
      keys = a.TransposedKeys(j0, kv_head, &ldkt);
    } else if (a.k_transposed) {
      for (int64_t j = 0; j < count;) {  // runs of rows within one page
        int64_t ld;
        const float* src = a.TransposedKeys(j0 + j, kv_head, &ld);
        const int64_t run = std::min(count - j, a.page_rows - (j0 + j) % a.page_rows);
        for (int64_t d = 0; d < hd; ++d) {
          for (int64_t i = 0; i < run; ++i) kt[d * kBlock + j + i] = src[d * ld + i];
        }
        j += run;
      }
    } else {
      // Keys transposed 16 × 16 through registers where the path has it (with one query row
      // per head, in decode, this copy is most of the work); the same values either way.
      int64_t done = 0;
      if constexpr (requires(const float* const* r, float* o) { S::Transpose16(r, o, kBlock); }) {
        for (; done + 16 <= count && hd % 16 == 0; done += 16) {
          const float* rows[16];
          for (int64_t d0 = 0; d0 < hd; d0 += 16) {
            for (int64_t j = 0; j < 16; ++j) rows[j] = a.Key(j0 + done + j, kv_head) + d0;
            S::Transpose16(rows, kt + d0 * kBlock + done, kBlock);
          }
        }
      }
      for (int64_t j = done; j < count; ++j) {
        const float* key = a.Key(j0 + j, kv_head);
        for (int64_t d = 0; d < hd; ++d) kt[d * kBlock + j] = key[d];
      }
    }
    if (keys == kt) {
      for (int64_t d = 0; d < hd; ++d) {
        for (int64_t j = count; j < kBlock; ++j) kt[d * kBlock + j] = 0.0f;
      }
    }
    // Values are read in place when the block's rows are back to back (a KV page,
    // kv_pages.h); otherwise copied, as strided rows would thrash L1.
    const float* values = a.Value(j0, kv_head);
    if (!a.ValuesContiguous(j0, count)) {
      for (int64_t j = 0; j < count; ++j) {
        const float* value = a.Value(j0 + j, kv_head);
        for (int64_t d = 0; d < hd; ++d) vb[j * hd + d] = value[d];
      }
      values = vb;
    }
    // Rows of the item in groups of 4 (or 2: a decode step's query heads of one kv head)
    // while they see the same keys of this block (always without a causal mask), else one
    // at a time.
    auto visible_keys = [&](int64_t r) {
      const int64_t qi = q_begin + r / group;
      int64_t visible = count;
      if (prm.causal && prm.past + qi + 1 - j0 < visible) visible = prm.past + qi + 1 - j0;
      return visible;
    };
    auto query = [&](int64_t r) {
      return a.q + (q_begin + r / group) * a.ldq + (kv_head * group + r % group) * hd;
    };
    auto attend = [&]<int R>(int64_t r, int64_t visible) {
      const float* q[R];
      RowState* st[R];
      float* out[R];
      for (int i = 0; i < R; ++i) {
        q[i] = query(r + i);
        st[i] = &state[r + i];
        out[i] = acc + (r + i) * hd;
      }
      AttendBlock<S, R>(q, keys, ldkt, values, hd, hd, visible, prm.scale, st, out);
    };
    auto same_keys = [&](int64_t r, int n, int64_t visible) {
      return r + n <= rows && visible_keys(r + n - 1) == visible;
    };
    for (int64_t r = 0; r < rows;) {
      const int64_t visible = visible_keys(r);
      if (visible <= 0) {
        ++r;
      } else if (same_keys(r, 4, visible)) {
        attend.template operator()<4>(r, visible);
        r += 4;
      } else if (same_keys(r, 2, visible)) {
        attend.template operator()<2>(r, visible);
        r += 2;
      } else {
        attend.template operator()<1>(r, visible);
        ++r;
      }
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* out = a.out + (q_begin + r / group) * a.ldo + (kv_head * group + r % group) * hd;
    const float inv = 1.0f / state[r].sum;
    for (int64_t d = 0; d < hd; ++d) out[d] = acc[r * hd + d] * inv;
  }
}

}  // namespace corgi::ops::simd_impl
