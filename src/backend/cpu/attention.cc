// Public attention entry points: checks, then (query block × kv head) work items spread over
// the pool. Items are dealt round-robin so each thread gets early (cheap, causal) and late
// (expensive) query blocks alike; which thread runs an item never changes its result.
#include <algorithm>

#include "backend/cpu/kernel_table.h"
#include "corgi/backend/ops.h"
#include "corgi/core/check.h"

namespace corgi::ops {
namespace {

void CheckParams(const AttentionParams& p, RowsView q, RowsView k, RowsView v,
                 MutableRowsView out) {
  CORGI_CHECK(p.num_heads > 0 && p.num_kv_heads > 0 && p.num_heads % p.num_kv_heads == 0)
      << "Attention: " << p.num_heads << " query heads are not a multiple of " << p.num_kv_heads
      << " kv heads";
  CORGI_CHECK(p.num_heads / p.num_kv_heads <= internal::kAttentionRowsPerItem)
      << "Attention: more than " << internal::kAttentionRowsPerItem << " query heads per kv head";
  CORGI_CHECK(p.head_dim > 0 && p.head_dim <= internal::kMaxHeadDim)
      << "Attention: head_dim " << p.head_dim << " outside [1, " << internal::kMaxHeadDim << "]";
  CORGI_CHECK(q.ld >= p.num_heads * p.head_dim && out.ld >= p.num_heads * p.head_dim &&
              k.ld >= p.num_kv_heads * p.head_dim && v.ld >= p.num_kv_heads * p.head_dim)
      << "Attention: a row stride is smaller than heads × head_dim";
  CORGI_CHECK(p.past >= 0) << "Attention: negative past";
}

void Run(const internal::AttentionArgs& args, ThreadPool* pool) {
  const internal::KernelTable& t = internal::ActiveKernels();
  const int64_t kv_heads = args.p.num_kv_heads;
  const int64_t group = args.p.num_heads / kv_heads;
  const int64_t rows = std::max<int64_t>(1, internal::kAttentionRowsPerItem / group);
  const int64_t blocks = (args.sq + rows - 1) / rows;
  const int64_t items = blocks * kv_heads;
  auto run_items = [&](int64_t first, int64_t stride) {
    for (int64_t item = first; item < items; item += stride) {
      const int64_t q_begin = (item / kv_heads) * rows;
      t.attention(args, item % kv_heads, q_begin, std::min(q_begin + rows, args.sq));
    }
  };
  const int64_t threads = pool == nullptr ? 1 : static_cast<int64_t>(pool->num_threads());
  if (threads <= 1 || items == 1) {
    run_items(0, 1);
    return;
  }
  const int64_t parts = std::min(threads, items);
  pool->ParallelFor(static_cast<size_t>(parts), [&](size_t begin, size_t end, size_t) {
    for (size_t part = begin; part < end; ++part) run_items(static_cast<int64_t>(part), parts);
  });
}

// The fields both entry points share; keys and values are filled in by the caller.
internal::AttentionArgs CommonArgs(RowsView q, int64_t ldk, int64_t ldv, int64_t sq, int64_t skv,
                                   const AttentionParams& params, MutableRowsView out) {
  internal::AttentionArgs args;
  args.q = q.data;
  args.out = out.data;
  args.ldq = q.ld;
  args.ldk = ldk;
  args.ldv = ldv;
  args.ldo = out.ld;
  args.sq = sq;
  args.skv = skv;
  args.p = params;
  args.k_head_stride = params.head_dim;
  args.v_head_stride = params.head_dim;
  return args;
}

}  // namespace

void Attention(RowsView q, RowsView k, RowsView v, int64_t sq, int64_t skv,
               const AttentionParams& params, MutableRowsView out, ThreadPool* pool) {
  CheckParams(params, q, k, v, out);
  CORGI_CHECK(sq >= 0 && skv >= 1) << "Attention: sq " << sq << ", skv " << skv;
  CORGI_CHECK(!params.causal || skv >= params.past + sq)
      << "Attention: causal with past " << params.past << " and " << sq
      << " queries needs at least " << params.past + sq << " keys, got " << skv;
  if (sq == 0) return;
  internal::AttentionArgs args = CommonArgs(q, k.ld, v.ld, sq, skv, params, out);
  args.k = k.data;
  args.v = v.data;
  Run(args, pool);
}

namespace {

// The row stride CheckParams sees for a paged view: a head-major one (head_stride set)
// holds rows of one head, so ld >= head_dim suffices there.
RowsView PagedRows(const PagedRowsView& p, const AttentionParams& params) {
  CORGI_CHECK(p.head_stride == 0 || (p.ld >= params.head_dim && p.head_stride >= p.ld * p.page_rows))
      << "AttentionPaged: a head_stride smaller than one head's page of rows";
  return RowsView{nullptr, p.head_stride != 0 ? p.ld * params.num_kv_heads : p.ld};
}

// What both AttentionPaged overloads check and fill: everything but the key layout
// (`ldk` is the keys' row stride, `k_rows` what CheckParams sees of them). Returns false
// when there is nothing to do.
bool PagedArgs(RowsView q, const float* const* k_pages, int64_t k_page_rows, int64_t ldk, RowsView k_rows,
               const PagedRowsView& v, int64_t sq, int64_t skv, const AttentionParams& params,
               MutableRowsView out, internal::AttentionArgs* args) {
  CORGI_CHECK(k_pages != nullptr && v.pages != nullptr && k_page_rows > 0 && v.page_rows == k_page_rows)
      << "AttentionPaged: missing pages or mismatched page sizes";
  CheckParams(params, q, k_rows, PagedRows(v, params), out);
  CORGI_CHECK(sq >= 0 && skv >= 1) << "AttentionPaged: sq " << sq << ", skv " << skv;
  CORGI_CHECK(!params.causal || skv >= params.past + sq)
      << "AttentionPaged: causal with past " << params.past << " and " << sq
      << " queries needs at least " << params.past + sq << " keys, got " << skv;
  if (sq == 0) return false;
  *args = CommonArgs(q, ldk, v.ld, sq, skv, params, out);
  args->k_pages = k_pages;
  args->v_pages = v.pages;
  args->page_rows = k_page_rows;
  if (v.head_stride != 0) args->v_head_stride = v.head_stride;
  return true;
}

}  // namespace

void AttentionPaged(RowsView q, PagedRowsView k, PagedRowsView v, int64_t sq, int64_t skv,
                    const AttentionParams& params, MutableRowsView out, ThreadPool* pool) {
  internal::AttentionArgs args;
  if (!PagedArgs(q, k.pages, k.page_rows, k.ld, PagedRows(k, params), v, sq, skv, params, out, &args)) return;
  if (k.head_stride != 0) args.k_head_stride = k.head_stride;
  Run(args, pool);
}

void AttentionPaged(RowsView q, PagedKeysView k, PagedRowsView v, int64_t sq, int64_t skv,
                    const AttentionParams& params, MutableRowsView out, ThreadPool* pool) {
  CORGI_CHECK(k.head_stride >= params.head_dim * k.page_rows)
      << "AttentionPaged: a head_stride smaller than one head's page of keys";
  internal::AttentionArgs args;
  if (!PagedArgs(q, k.pages, k.page_rows, k.page_rows, RowsView{nullptr, params.num_kv_heads * params.head_dim},
                 v, sq, skv, params, out, &args)) {
    return;
  }
  args.k_transposed = true;
  args.k_head_stride = k.head_stride;
  Run(args, pool);
}

void AttentionSegments(RowsView q, RowsView k, RowsView v, const int64_t* cu_seqlens,
                       int64_t num_segments, const AttentionParams& params, MutableRowsView out,
                       ThreadPool* pool) {
  CheckParams(params, q, k, v, out);
  CORGI_CHECK(!params.causal) << "AttentionSegments is non-causal";
  CORGI_CHECK(num_segments >= 0 && (num_segments == 0 || cu_seqlens[0] == 0))
      << "AttentionSegments: cu_seqlens must start at 0";
  for (int64_t s = 0; s < num_segments; ++s) {
    const int64_t begin = cu_seqlens[s], len = cu_seqlens[s + 1] - begin;
    CORGI_CHECK(len >= 0) << "AttentionSegments: cu_seqlens decreases at " << s;
    if (len == 0) continue;
    Attention({q.data + begin * q.ld, q.ld}, {k.data + begin * k.ld, k.ld},
              {v.data + begin * v.ld, v.ld}, len, len, params, {out.data + begin * out.ld, out.ld},
              pool);
  }
}

}  // namespace corgi::ops
