#include "corgi/engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <vector>

namespace corgi {
namespace {

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  Sampler s(SamplingParams{});
  std::vector<float> logits = {0.1f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(s.Sample(logits.data(), 4), 1);
  // Padding rows past `vocab` are never chosen.
  std::vector<float> padded = {0.1f, 0.2f, 9.0f};
  EXPECT_EQ(s.Sample(padded.data(), 2), 1);
}

TEST(Sampler, SeededAndReproducible) {
  SamplingParams p;
  p.temperature = 1.0;
  p.seed = 42;
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i) logits[i] = static_cast<float>(i % 7);
  Sampler a(p), b(p);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> x = logits, y = logits;
    EXPECT_EQ(a.Sample(x.data(), 100), b.Sample(y.data(), 100));
  }
}

TEST(Sampler, TopKAndTopPRestrictTheSupport) {
  SamplingParams p;
  p.temperature = 1.0;
  p.top_k = 2;
  p.seed = 1;
  std::vector<float> logits = {5.0f, 4.9f, 4.8f, 0.0f};
  Sampler k(p);
  for (int i = 0; i < 200; ++i) {
    std::vector<float> x = logits;
    int32_t t = k.Sample(x.data(), 4);
    EXPECT_TRUE(t == 0 || t == 1) << t;
  }
  p.top_k = 0;
  p.top_p = 0.5;  // softmax(10, 0, 0) -> the first token alone has > 0.99 mass
  Sampler nucleus(p);
  std::vector<float> peaked = {10.0f, 0.0f, 0.0f};
  for (int i = 0; i < 100; ++i) {
    std::vector<float> x = peaked;
    EXPECT_EQ(nucleus.Sample(x.data(), 3), 0);
  }
}

TEST(Sampler, FrequenciesFollowTheDistribution) {
  SamplingParams p;
  p.temperature = 1.0;
  p.seed = 7;
  Sampler s(p);
  // logits log(1), log(3): expect a 1:3 split.
  std::map<int, int> counts;
  for (int i = 0; i < 20000; ++i) {
    std::vector<float> x = {0.0f, 1.0986123f};
    counts[s.Sample(x.data(), 2)]++;
  }
  EXPECT_NEAR(counts[1] / 20000.0, 0.75, 0.02);
}

// The nucleus is ranked 64 candidates at a time; one of 366 tokens must come out exactly
// as a full sort defines it, ties broken by id.
TEST(Sampler, WideNucleusMatchesAFullSort) {
  const int vocab = 1000;
  std::vector<float> logits(vocab);
  for (int i = 0; i < vocab; ++i) logits[i] = -0.004f * static_cast<float>((i * 7919) % 500);  // pairs of ties
  SamplingParams p;
  p.temperature = 1.0;
  p.top_p = 0.6;
  p.seed = 3;
  // Reference: rank every id, cut where the mass first reaches top_p.
  std::vector<int> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  double total = 0;
  for (float l : logits) total += std::exp(static_cast<double>(l - logits[order[0]]));
  std::set<int> nucleus;
  double cumulative = 0;
  for (int id : order) {
    nucleus.insert(id);
    cumulative += std::exp(static_cast<double>(logits[id] - logits[order[0]])) / total;
    if (cumulative >= p.top_p) break;
  }
  ASSERT_GT(nucleus.size(), 256u);  // past several doublings of the ranked prefix
  Sampler s(p);
  std::set<int> seen;
  for (int i = 0; i < 20000; ++i) {
    std::vector<float> x = logits;
    int t = s.Sample(x.data(), vocab);
    ASSERT_TRUE(nucleus.count(t)) << "token " << t << " is outside the nucleus";
    seen.insert(t);
  }
  // Nearly every member is drawn, including the ones ranked last.
  EXPECT_GT(seen.size(), nucleus.size() * 9 / 10);
  EXPECT_TRUE(seen.count(order[nucleus.size() - 1]));
}

// Masked tokens (constrained decoding sets them to -inf) are never drawn, on every path.
TEST(Sampler, MaskedTokensAreNeverDrawn) {
  const float inf = std::numeric_limits<float>::infinity();
  for (int path = 0; path < 3; ++path) {
    SamplingParams p;
    p.temperature = 0.8;
    p.seed = 11;
    if (path == 1) p.top_p = 0.95;
    if (path == 2) p.top_k = 5;
    Sampler s(p);
    std::map<int, int> counts;
    for (int i = 0; i < 5000; ++i) {
      std::vector<float> x = {-inf, 1.0f, -inf, 0.5f, -inf, -inf, -inf};
      counts[s.Sample(x.data(), 7)]++;
    }
    EXPECT_EQ(counts[1] + counts[3], 5000) << "path " << path;
    EXPECT_GT(counts[3], 500) << "path " << path;
  }
}

}  // namespace
}  // namespace corgi
