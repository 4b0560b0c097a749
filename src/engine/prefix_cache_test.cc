// PrefixCache on its own: page references, matching by page with image-aware keys and
// position checks, partial-page matches, LRU eviction of unreferenced leaves only.
#include "engine/prefix_cache.h"

#include <gtest/gtest.h>

#include <numeric>


namespace corgi {
namespace {

constexpr int64_t kPage = 4;
// A small decoder's KV shape: 3 layers, 2 KV heads x 32.
constexpr int64_t kLayers = 3, kRowWidth = 64;

struct Fixture {
  explicit Fixture(int64_t max_pages = 16)
      : pool(kLayers, 1, kRowWidth, kPage, max_pages), cache(&pool, true) {}
  KvPagePool pool;
  PrefixCache cache;
};

// Text positions: every axis = index + offset.
std::vector<int32_t> Positions(int64_t n, int32_t offset = 0) {
  std::vector<int32_t> p(3 * n);
  for (int a = 0; a < 3; ++a)
    for (int64_t i = 0; i < n; ++i) p[a * n + i] = static_cast<int32_t>(i) + offset;
  return p;
}

std::vector<TokenKey> Keys(std::initializer_list<TokenKey> k) { return k; }

// Inserts a sequence of `keys` as if it had just been prefilled; returns its pages
// (still referenced by the "sequence").
std::vector<int32_t> Prefill(PrefixCache& cache, const std::vector<TokenKey>& keys, const std::vector<int32_t>& pos) {
  std::vector<int32_t> pages;
  for (size_t i = 0; i * kPage < keys.size(); ++i) pages.push_back(cache.AllocatePage());
  cache.Insert(keys, pos, pages, static_cast<int64_t>(keys.size()));
  return pages;
}

TEST(PrefixCacheTest, MatchesWholePagesThenAPartialPage) {
  Fixture f;
  const auto a = Keys({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const auto pages = Prefill(f.cache, a, Positions(10));
  EXPECT_EQ(f.cache.stats().nodes, 2);  // two full pages; the third is partial, not cached
  for (int32_t p : pages) f.cache.Release(p);
  EXPECT_EQ(f.pool.pages_in_use(), 2);

  const auto b = Keys({1, 2, 3, 4, 5, 6, 99, 98, 97});
  PrefixCache::Match m = f.cache.Lookup(b, Positions(9), 8);
  ASSERT_EQ(m.pages.size(), 1u);
  EXPECT_EQ(m.pages[0], pages[0]);
  EXPECT_EQ(m.partial_page, pages[1]);
  EXPECT_EQ(m.partial_rows, 2);
  EXPECT_EQ(m.tokens, 6);
  EXPECT_EQ(m.next_position, 4);
  EXPECT_EQ(m.rope_delta, 0);
  f.cache.Release(m.pages[0]);
  f.cache.Release(m.partial_page);
  // `limit` caps the match (the engine keeps the last prompt token to compute).
  m = f.cache.Lookup(a, Positions(10), 5);
  EXPECT_EQ(m.tokens, 5);
  EXPECT_EQ(m.pages.size(), 1u);
  EXPECT_EQ(m.partial_rows, 1);
  f.cache.Release(m.pages[0]);
  f.cache.Release(m.partial_page);
}

TEST(PrefixCacheTest, ImagesAreKeyedByContentNotByPlaceholderId) {
  Hash128 img1 = HashString("image one"), img2 = HashString("image two");
  EXPECT_NE(ImageTokenKey(img1, 0), ImageTokenKey(img2, 0));
  EXPECT_NE(ImageTokenKey(img1, 0), ImageTokenKey(img1, 1));
  EXPECT_NE(ImageTokenKey(img1, 0) >> 63, 0u);  // never equal to a token id
  Fixture f;
  std::vector<TokenKey> a = {7, ImageTokenKey(img1, 0), ImageTokenKey(img1, 1), ImageTokenKey(img1, 2), 8};
  std::vector<TokenKey> b = {7, ImageTokenKey(img2, 0), ImageTokenKey(img2, 1), ImageTokenKey(img2, 2), 8};
  for (int32_t p : Prefill(f.cache, a, Positions(5))) f.cache.Release(p);
  PrefixCache::Match m = f.cache.Lookup(b, Positions(5), 4);
  EXPECT_EQ(m.tokens, 1);  // only the text token before the image
  f.cache.Release(m.partial_page);
}

TEST(PrefixCacheTest, DifferentPositionsDoNotMatch) {
  Fixture f;
  const auto a = Keys({1, 2, 3, 4, 5, 6, 7, 8});
  for (int32_t p : Prefill(f.cache, a, Positions(8))) f.cache.Release(p);
  std::vector<int32_t> shifted = Positions(8);
  shifted[1 * 8 + 5] += 3;  // the h axis of row 5 differs (as inside an image)
  PrefixCache::Match m = f.cache.Lookup(a, shifted, 8);
  EXPECT_EQ(m.pages.size(), 1u);
  EXPECT_EQ(m.tokens, 5);
  for (int32_t p : m.pages) f.cache.Release(p);
  f.cache.Release(m.partial_page);
}

TEST(PrefixCacheTest, EvictsLeastRecentlyUsedUnreferencedLeavesOnly) {
  Fixture f(/*max_pages=*/4);
  const auto a = Keys({1, 1, 1, 1, 2, 2, 2, 2});  // pages A1, A2
  const auto b = Keys({3, 3, 3, 3});              // page B1
  for (int32_t p : Prefill(f.cache, a, Positions(8))) f.cache.Release(p);
  const auto held = Prefill(f.cache, b, Positions(4));  // B1 still held by a sequence
  EXPECT_EQ(f.cache.AvailablePages(), 1 + 2);  // one free page, A1 and A2 evictable
  const int32_t extra = f.cache.AllocatePage();  // the free page
  ASSERT_GE(extra, 0);
  const int32_t again = f.cache.AllocatePage();  // evicts A2 (the leaf), not B1 (held)
  ASSERT_GE(again, 0);
  EXPECT_EQ(f.cache.stats().evictions, 1);
  EXPECT_EQ(f.cache.stats().nodes, 2);
  const int32_t third = f.cache.AllocatePage();  // then A1, now a leaf
  ASSERT_GE(third, 0);
  EXPECT_EQ(f.cache.AllocatePage(), -1);  // B1 is held: nothing left
  PrefixCache::Match m = f.cache.Lookup(b, Positions(4), 4);
  EXPECT_EQ(m.pages.size(), 1u);  // B1 survived
  for (int32_t p : m.pages) f.cache.Release(p);
  for (int32_t p : held) f.cache.Release(p);
  f.cache.Release(extra);
  f.cache.Release(again);
  f.cache.Release(third);
  EXPECT_EQ(f.pool.pages_in_use(), 1);  // only the tree's B1
}

TEST(PrefixCacheTest, DisabledCacheOnlyCountsReferences) {
  KvPagePool pool(kLayers, 1, kRowWidth, kPage, 4);
  PrefixCache cache(&pool, false);
  const auto a = Keys({1, 2, 3, 4, 5});
  const auto pages = Prefill(cache, a, Positions(5));
  for (int32_t p : pages) cache.Release(p);
  EXPECT_EQ(pool.pages_in_use(), 0);
  EXPECT_EQ(cache.Lookup(a, Positions(5), 5).tokens, 0);
}

}  // namespace
}  // namespace corgi
