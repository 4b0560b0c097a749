// Attention: hand-computed softmax weights and causal masking, fast paths vs the reference
// (head dims 64, 72, 128; GQA; strided, misaligned rows), segments, and bitwise
// invariance between a causal prefill and single-token decode steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/test_util.h"
#include "corgi/backend/ops.h"
#include "corgi/core/thread_pool.h"

namespace corgi::ops {
namespace {

using testing::MisalignedFloats;
using testing::RandomVector;
using testing::ScopedPath;

TEST(AttentionTest, HandComputedWeights) {
  // One head, head_dim 2. q = [1, 0]; keys give scores 0 and ln 3 → weights 1/4, 3/4.
  const float q[] = {1, 0};
  const float k[] = {0, 5, std::log(3.0f), -7};
  const float v[] = {4, -8, 8, 12};
  AttentionParams p{1, 1, 2, 1.0f, false, 0};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float out[2];
    Attention({q, 2}, {k, 2}, {v, 2}, 1, 2, p, {out, 2}, nullptr);
    EXPECT_NEAR(out[0], 0.25f * 4 + 0.75f * 8, 1e-5f) << KernelPathName(path);
    EXPECT_NEAR(out[1], 0.25f * -8 + 0.75f * 12, 1e-5f);
  }
}

TEST(AttentionTest, CausalMaskEffect) {
  // Zero queries make all visible keys equally likely: causal row i averages v[0..past+i].
  const float q[4] = {0, 0, 0, 0};
  const float k[3] = {1, 2, 3};
  const float v[3] = {3, 6, 12};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float out[2];
    Attention({q, 1}, {k, 1}, {v, 1}, 2, 2, {1, 1, 1, 1.0f, true, 0}, {out, 1}, nullptr);
    EXPECT_FLOAT_EQ(out[0], 3.0f) << KernelPathName(path);
    EXPECT_FLOAT_EQ(out[1], 4.5f);
    Attention({q, 1}, {k, 1}, {v, 1}, 2, 2, {1, 1, 1, 1.0f, false, 0}, {out, 1}, nullptr);
    EXPECT_FLOAT_EQ(out[0], 4.5f);
    // past = 1: the two queries see keys {0,1} and {0,1,2}.
    Attention({q, 1}, {k, 1}, {v, 1}, 2, 3, {1, 1, 1, 1.0f, true, 1}, {out, 1}, nullptr);
    EXPECT_FLOAT_EQ(out[0], 4.5f);
    EXPECT_FLOAT_EQ(out[1], 7.0f);
  }
}

struct Case {
  int64_t sq, skv, nh, nkv, hd;
  bool causal;
  int64_t past;
};

void CompareWithReference(const Case& c, ThreadPool* pool) {
  const int64_t ldq = c.nh * c.hd + 3, ldkv = c.nkv * c.hd + 5, ldo = c.nh * c.hd + 1;
  MisalignedFloats q(RandomVector(c.sq * ldq, 1, -2, 2));
  MisalignedFloats k(RandomVector(c.skv * ldkv, 2, -2, 2));
  MisalignedFloats v(RandomVector(c.skv * ldkv, 3));
  const AttentionParams p{c.nh,     c.nkv, c.hd, 1.0f / std::sqrt(static_cast<float>(c.hd)),
                          c.causal, c.past};
  MisalignedFloats ref(c.sq * ldo), fast(c.sq * ldo);
  {
    ScopedPath scope(KernelPath::kRef);
    Attention({q.data(), ldq}, {k.data(), ldkv}, {v.data(), ldkv}, c.sq, c.skv, p,
              {ref.data(), ldo}, nullptr);
  }
  for (KernelPath path : testing::FastPaths()) {
    ScopedPath scope(path);
    Attention({q.data(), ldq}, {k.data(), ldkv}, {v.data(), ldkv}, c.sq, c.skv, p,
              {fast.data(), ldo}, pool);
    for (int64_t i = 0; i < c.sq; ++i) {
      for (int64_t d = 0; d < c.nh * c.hd; ++d) {
        ASSERT_NEAR(fast.data()[i * ldo + d], ref.data()[i * ldo + d], 2e-6f)
            << KernelPathName(path) << " sq=" << c.sq << " skv=" << c.skv << " hd=" << c.hd
            << " causal=" << c.causal << " row " << i << " col " << d;
      }
    }
  }
}

TEST(AttentionTest, FastPathsMatchReference) {
  ThreadPool pool(2);
  const Case cases[] = {
      {1, 1, 2, 1, 64, false, 0},     {3, 17, 4, 2, 72, false, 0},
      {37, 130, 2, 2, 128, false, 0}, {67, 67, 4, 1, 64, true, 0},
      {5, 150, 4, 2, 128, true, 145}, {1, 200, 2, 1, 72, true, 199},
      {130, 129, 3, 3, 72, false, 0}, {33, 100, 2, 2, 8, true, 67},
  };
  for (const Case& c : cases) CompareWithReference(c, &pool);
}

// A causal prefill of S tokens and S single-token decode steps against the same keys give
// bitwise identical rows, on every path, with 1 and 2 threads.
TEST(AttentionTest, PrefillEqualsDecodeBitwise) {
  const int64_t s = 70, nh = 4, nkv = 2, hd = 72, ld = nh * hd, ldkv = nkv * hd;
  std::vector<float> q = RandomVector(s * ld, 5, -3, 3);
  std::vector<float> k = RandomVector(s * ldkv, 6, -3, 3);
  std::vector<float> v = RandomVector(s * ldkv, 7);
  ThreadPool pool2(2);
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    std::vector<float> prefill(s * ld);
    const AttentionParams p{nh, nkv, hd, 0.125f, true, 0};
    Attention({q.data(), ld}, {k.data(), ldkv}, {v.data(), ldkv}, s, s, p, {prefill.data(), ld},
              nullptr);
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::vector<float> again(s * ld);
      Attention({q.data(), ld}, {k.data(), ldkv}, {v.data(), ldkv}, s, s, p, {again.data(), ld},
                pool);
      EXPECT_TRUE(testing::BitwiseEqual(again.data(), prefill.data(), s * ld));
      for (int64_t i : {int64_t{0}, int64_t{31}, int64_t{32}, int64_t{63}, int64_t{64}, s - 1}) {
        std::vector<float> step(ld);
        AttentionParams pd = p;
        pd.past = i;
        Attention({q.data() + i * ld, ld}, {k.data(), ldkv}, {v.data(), ldkv}, 1, i + 1, pd,
                  {step.data(), ld}, pool);
        EXPECT_TRUE(testing::BitwiseEqual(step.data(), prefill.data() + i * ld, ld))
            << KernelPathName(path) << " token " << i;
      }
    }
  }
}

// Without a mask, query rows go through the kernel in groups of four; each row's output
// is bitwise the one it gets alone (vision attention, and any number of rows), on every
// path, including a head_dim with a partial vector and a key count off the 64-key blocks.
TEST(AttentionTest, NonCausalRowsEqualSingleRowsBitwise) {
  for (int64_t hd : {int64_t{64}, int64_t{72}}) {
    const int64_t sq = 13, skv = 150, nh = 4, nkv = 2, ld = nh * hd, ldkv = nkv * hd;
    std::vector<float> q = RandomVector(sq * ld, 15, -3, 3);
    std::vector<float> k = RandomVector(skv * ldkv, 16, -3, 3);
    std::vector<float> v = RandomVector(skv * ldkv, 17);
    const AttentionParams p{nh, nkv, hd, 0.125f, false, 0};
    for (KernelPath path : testing::AllPaths()) {
      ScopedPath scope(path);
      std::vector<float> all(sq * ld);
      Attention({q.data(), ld}, {k.data(), ldkv}, {v.data(), ldkv}, sq, skv, p, {all.data(), ld}, nullptr);
      for (int64_t i = 0; i < sq; ++i) {
        std::vector<float> one(ld);
        Attention({q.data() + i * ld, ld}, {k.data(), ldkv}, {v.data(), ldkv}, 1, skv, p, {one.data(), ld},
                  nullptr);
        EXPECT_TRUE(testing::BitwiseEqual(one.data(), all.data() + i * ld, ld))
            << KernelPathName(path) << " hd " << hd << " row " << i;
      }
    }
  }
}

// Rows that the paged-attention tests store in pages: s queries and keys, 4 heads / 2 kv
// heads of 64.
struct PagedCase {
  static constexpr int64_t s = 150, nh = 4, nkv = 2, hd = 64, ld = nh * hd, ldkv = nkv * hd;
  std::vector<float> q, k, v;
  explicit PagedCase(uint32_t seed)
      : q(RandomVector(s * ld, seed, -3, 3)), k(RandomVector(s * ldkv, seed + 1, -3, 3)),
        v(RandomVector(s * ldkv, seed + 2)) {}

  // On every path, `paged(q, sq, params, out, pool)` (an AttentionPaged call over the
  // caller's pages) as a prefill of all rows on 2 threads, and as the last row's decode
  // step, must equal Attention over the contiguous rows bitwise.
  template <class Paged>
  void ExpectEqualsContiguous(const Paged& paged, int64_t page_rows) const {
    ThreadPool pool2(2);
    for (KernelPath path : testing::AllPaths()) {
      ScopedPath scope(path);
      const AttentionParams p{nh, nkv, hd, 0.125f, true, 0};
      std::vector<float> want(s * ld), got(s * ld);
      Attention({q.data(), ld}, {k.data(), ldkv}, {v.data(), ldkv}, s, s, p, {want.data(), ld}, nullptr);
      paged(RowsView{q.data(), ld}, s, p, MutableRowsView{got.data(), ld}, &pool2);
      EXPECT_TRUE(testing::BitwiseEqual(got.data(), want.data(), s * ld))
          << KernelPathName(path) << " page_rows " << page_rows;
      AttentionParams pd = p;
      pd.past = s - 1;
      std::vector<float> step(ld);
      paged(RowsView{q.data() + (s - 1) * ld, ld}, 1, pd, MutableRowsView{step.data(), ld}, nullptr);
      EXPECT_TRUE(testing::BitwiseEqual(step.data(), want.data() + (s - 1) * ld, ld))
          << KernelPathName(path) << " page_rows " << page_rows << " decode";
    }
  }
};

// Keys and values scattered over pages (in shuffled page order, with padding rows) give
// the same output bitwise as the contiguous rows, for page sizes that do and do not
// divide the 64-key block, in prefill and decode.
TEST(AttentionTest, PagedEqualsContiguousBitwise) {
  const PagedCase c(11);
  const int64_t s = c.s, ldkv = c.ldkv;
  for (int64_t page_rows : {int64_t{1}, int64_t{7}, int64_t{16}, int64_t{64}, int64_t{100}}) {
    const int64_t npages = (s + page_rows - 1) / page_rows;
    // Page i holds rows [i*page_rows, ...) and is stored at slot (i * 7 + 2) % (npages + 3)
    // of a pool with extra pages, so neighbours in the sequence are not neighbours in memory.
    std::vector<std::vector<float>> kstore(npages + 3), vstore(npages + 3);
    std::vector<const float*> kp(npages), vp(npages);
    for (int64_t i = 0; i < npages; ++i) {
      const int64_t slot = (i * 7 + 2) % (npages + 3);
      kstore[slot].assign(page_rows * ldkv, 99.0f);
      vstore[slot].assign(page_rows * ldkv, -99.0f);
      for (int64_t r = 0; r < page_rows && i * page_rows + r < s; ++r) {
        std::copy_n(c.k.data() + (i * page_rows + r) * ldkv, ldkv, kstore[slot].data() + r * ldkv);
        std::copy_n(c.v.data() + (i * page_rows + r) * ldkv, ldkv, vstore[slot].data() + r * ldkv);
      }
      kp[i] = kstore[slot].data();
      vp[i] = vstore[slot].data();
    }
    const PagedRowsView keys{kp.data(), page_rows, ldkv}, values{vp.data(), page_rows, ldkv};
    c.ExpectEqualsContiguous(
        [&](RowsView q, int64_t sq, const AttentionParams& p, MutableRowsView out, ThreadPool* pool) {
          AttentionPaged(q, keys, values, sq, s, p, out, pool);
        },
        page_rows);
  }
}

// The KV cache's layout (model/kv_pages.h): per page and kv head, keys as [hd, page_rows]
// and values as [page_rows, hd], heads head_stride floats apart. Whole 64-key blocks inside
// one page (page_rows 64 and 128 here) are read in place, others copied; both must equal
// contiguous rows.
TEST(AttentionTest, KvCacheLayoutEqualsContiguousBitwise) {
  const PagedCase c(21);
  const int64_t s = c.s, nkv = c.nkv, hd = c.hd, ldkv = c.ldkv;
  for (int64_t page_rows : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{100}, int64_t{128}}) {
    const int64_t npages = (s + page_rows - 1) / page_rows, head_stride = page_rows * hd + 5;
    std::vector<std::vector<float>> kstore(npages), vstore(npages);
    std::vector<const float*> kp(npages), vp(npages);
    for (int64_t i = 0; i < npages; ++i) {
      kstore[i].assign(nkv * head_stride, 99.0f);
      vstore[i].assign(nkv * head_stride, -99.0f);
      for (int64_t r = 0; r < page_rows && i * page_rows + r < s; ++r) {
        for (int64_t h = 0; h < nkv; ++h) {
          const int64_t from = (i * page_rows + r) * ldkv + h * hd;
          for (int64_t d = 0; d < hd; ++d) kstore[i][h * head_stride + d * page_rows + r] = c.k[from + d];
          std::copy_n(c.v.data() + from, hd, vstore[i].data() + h * head_stride + r * hd);
        }
      }
      kp[i] = kstore[i].data();
      vp[i] = vstore[i].data();
    }
    const PagedKeysView keys{kp.data(), page_rows, head_stride};
    const PagedRowsView values{vp.data(), page_rows, hd, head_stride};
    c.ExpectEqualsContiguous(
        [&](RowsView q, int64_t sq, const AttentionParams& p, MutableRowsView out, ThreadPool* pool) {
          AttentionPaged(q, keys, values, sq, s, p, out, pool);
        },
        page_rows);
  }
}

TEST(AttentionTest, SegmentsAreIndependent) {
  const int64_t nh = 2, hd = 64, ld = nh * hd;
  const int64_t cu[] = {0, 40, 40, 105};
  const int64_t total = 105;
  std::vector<float> q = RandomVector(total * ld, 8), k = RandomVector(total * ld, 9),
                     v = RandomVector(total * ld, 10);
  const AttentionParams p{nh, nh, hd, 0.125f, false, 0};
  ThreadPool pool(2);
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    std::vector<float> out(total * ld), expect(total * ld);
    AttentionSegments({q.data(), ld}, {k.data(), ld}, {v.data(), ld}, cu, 3, p, {out.data(), ld},
                      &pool);
    for (int s = 0; s < 3; ++s) {
      const int64_t b = cu[s], n = cu[s + 1] - cu[s];
      if (n == 0) continue;
      Attention({q.data() + b * ld, ld}, {k.data() + b * ld, ld}, {v.data() + b * ld, ld}, n, n, p,
                {expect.data() + b * ld, ld}, nullptr);
    }
    EXPECT_TRUE(testing::BitwiseEqual(out.data(), expect.data(), total * ld))
        << KernelPathName(path);
    // Changing the second segment's keys must not change the first segment's output.
    std::vector<float> k2 = k;
    for (int64_t i = 40 * ld; i < total * ld; ++i) k2[i] += 1.0f;
    std::vector<float> out2(total * ld);
    AttentionSegments({q.data(), ld}, {k2.data(), ld}, {v.data(), ld}, cu, 3, p, {out2.data(), ld},
                      &pool);
    EXPECT_TRUE(testing::BitwiseEqual(out2.data(), out.data(), 40 * ld));
  }
}

}  // namespace
}  // namespace corgi::ops
