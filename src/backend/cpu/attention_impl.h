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

// acc[d0 .. d0 + G·L) = acc·corr + Σ_j p[j]·v_j[d0 ..], j ascending. `n` < L marks one
// partial vector (G == 1) at the end of head_dim.
template <class S, int G>
inline void AccumulateValues(float* acc, const float* v, int64_t ldv, const float* p, int64_t count,
                             float corr, int64_t d0, int n) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V a[G];
  const V c = S::Set1(corr);
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) a[g] = S::Mul(S::LoadN(acc + d0 + g * L, n), c);
  for (int64_t j = 0; j < count; ++j) {
    const V pj = S::Set1(p[j]);
    const float* row = v + j * ldv + d0;
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) a[g] = S::Fma(pj, S::LoadN(row + g * L, n), a[g]);
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) S::StoreN(acc + d0 + g * L, a[g], n);
}

struct RowState {
  float max;
  float sum;
};

// One query row against one key block: kt [hd, kBlock] transposed keys, v points at the
// block's first value row, `visible` keys of the block are unmasked.
template <class S>
inline void AttendBlock(const float* q, const float* kt, const float* v, int64_t ldv, int64_t hd,
                        int64_t visible, float scale, RowState* st, float* acc) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  constexpr int64_t kBlock = internal::kAttentionKeyBlock;
  constexpr int kChunks = static_cast<int>(kBlock / L);
  alignas(64) float p[kBlock];
  V s[kChunks];
#pragma GCC unroll 16
  for (int c = 0; c < kChunks; ++c) s[c] = S::Zero();
  for (int64_t d = 0; d < hd; ++d) {
    const V qd = S::Set1(q[d]);
    const float* kd = kt + d * kBlock;
#pragma GCC unroll 16
    for (int c = 0; c < kChunks; ++c) s[c] = S::Fma(qd, S::Load(kd + c * L), s[c]);
  }
  const V vscale = S::Set1(scale);
#pragma GCC unroll 16
  for (int c = 0; c < kChunks; ++c) S::Store(p + c * L, S::Mul(s[c], vscale));
  for (int64_t j = visible; j < kBlock; ++j) p[j] = -std::numeric_limits<float>::infinity();
  V vmax = S::Load(p);
#pragma GCC unroll 16
  for (int c = 1; c < kChunks; ++c) vmax = S::Max(vmax, S::Load(p + c * L));
  const float block_max = S::ReduceMax(vmax);
  const float new_max = block_max > st->max ? block_max : st->max;
  const float corr = ExpScalar<S>(st->max - new_max);  // 0 on the first block (max = −inf)
  const V m = S::Set1(new_max);
  V vsum = S::Zero();
#pragma GCC unroll 16
  for (int c = 0; c < kChunks; ++c) {
    const V e = S::Exp(S::Sub(S::Load(p + c * L), m));  // masked keys give exactly 0
    S::Store(p + c * L, e);
    vsum = S::Add(vsum, e);
  }
  st->sum = st->sum * corr + S::ReduceAdd(vsum);
  st->max = new_max;
  int64_t d0 = 0;
  for (; d0 + 4 * L <= hd; d0 += 4 * L)
    AccumulateValues<S, 4>(acc, v, ldv, p, visible, corr, d0, L);
  for (; d0 + L <= hd; d0 += L) AccumulateValues<S, 1>(acc, v, ldv, p, visible, corr, d0, L);
  if (d0 < hd) AccumulateValues<S, 1>(acc, v, ldv, p, visible, corr, d0, static_cast<int>(hd - d0));
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
    for (int64_t j = 0; j < count; ++j) {
      const float* key = a.KeyRow(j0 + j) + kv_head * hd;
      const float* value = a.ValueRow(j0 + j) + kv_head * hd;
      for (int64_t d = 0; d < hd; ++d) kt[d * kBlock + j] = key[d];
      for (int64_t d = 0; d < hd; ++d) vb[j * hd + d] = value[d];
    }
    for (int64_t d = 0; d < hd; ++d) {
      for (int64_t j = count; j < kBlock; ++j) kt[d * kBlock + j] = 0.0f;
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t qi = q_begin + r / group;
      int64_t visible = count;
      if (prm.causal && prm.past + qi + 1 - j0 < visible) visible = prm.past + qi + 1 - j0;
      if (visible <= 0) continue;
      const float* q = a.q + qi * a.ldq + (kv_head * group + r % group) * hd;
      AttendBlock<S>(q, kt, vb, hd, hd, visible, prm.scale, &state[r], acc + r * hd);
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* out = a.out + (q_begin + r / group) * a.ldo + (kv_head * group + r % group) * hd;
    const float inv = 1.0f / state[r].sum;
    for (int64_t d = 0; d < hd; ++d) out[d] = acc[r * hd + d] * inv;
  }
}

}  // namespace corgi::ops::simd_impl
