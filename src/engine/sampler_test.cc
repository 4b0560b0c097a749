#include "corgi/engine/sampler.h"

#include <gtest/gtest.h>

#include <map>
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

}  // namespace
}  // namespace corgi
