#include "corgi/model/qwen3vl/positions.h"

#include <gtest/gtest.h>

#include <cmath>

#include "corgi/model/qwen3vl/presets.h"

namespace corgi::qwen3vl {
namespace {

constexpr int32_t kImage = 151655;

// Spec §5.4 worked example: a 480x640 image (grid 1x30x40, 300 tokens) in a 313-token prompt.
// (The spec's prose says "4 text tokens" but its totals — 313 tokens, last position 32 —
// need 3; the rope delta is -280 either way.)
TEST(TextPositions, SpecWorkedExample) {
  std::vector<int32_t> tokens = {151644, 872, 198, 151652};
  tokens.insert(tokens.end(), 300, kImage);
  for (int32_t t : {151653, 1, 2, 3, 151645, 198, 151644, 77091, 198}) tokens.push_back(t);
  ASSERT_EQ(tokens.size(), 313u);
  ImageGrid grid{1, 30, 40};
  StatusOr<TextPositions> p = ComputeMropePositions(tokens, kImage, std::span(&grid, 1), 2);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(p->t(i), i);
    EXPECT_EQ(p->h(i), i);
    EXPECT_EQ(p->w(i), i);
  }
  EXPECT_EQ(p->t(4), 4);
  EXPECT_EQ(p->h(4), 4);
  EXPECT_EQ(p->w(4), 4);
  EXPECT_EQ(p->t(303), 4);   // last image token
  EXPECT_EQ(p->h(303), 18);
  EXPECT_EQ(p->w(303), 23);
  EXPECT_EQ(p->t(304), 24);  // <|vision_end|>
  EXPECT_EQ(p->w(312), 32);  // last prompt token
  EXPECT_EQ(p->rope_delta, -280);
}

TEST(TextPositions, TextOnlyAndTwoImages) {
  std::vector<int32_t> text = {1, 2, 3};
  StatusOr<TextPositions> p = ComputeMropePositions(text, kImage, {}, 2);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rope_delta, 0);
  EXPECT_EQ(p->h(2), 2);

  // Image A: grid 1x4x6 -> 2x3 merged (6 tokens); image B: 1x6x2 -> 3x1 (3 tokens).
  std::vector<int32_t> tokens = {9};
  tokens.insert(tokens.end(), 6, kImage);
  tokens.push_back(8);
  tokens.insert(tokens.end(), 3, kImage);
  tokens.push_back(7);
  ImageGrid grids[] = {{1, 4, 6}, {1, 6, 2}};
  p = ComputeMropePositions(tokens, kImage, grids, 2);
  ASSERT_TRUE(p.ok());
  // A starts at 1: rows 1..2, cols 1..3 -> next s = 1 + max(2, 3) = 4.
  EXPECT_EQ(p->h(6), 2);
  EXPECT_EQ(p->w(6), 3);
  EXPECT_EQ(p->t(7), 4);
  // B starts at 5: rows 5..7, col 5 -> next s = 8.
  EXPECT_EQ(p->h(10), 7);
  EXPECT_EQ(p->t(11), 8);
  EXPECT_EQ(p->rope_delta, 9 - 12);
}

TEST(TextPositions, MismatchedCountsAreErrors) {
  std::vector<int32_t> tokens(5, kImage);
  ImageGrid grid{1, 4, 4};  // 4 tokens, not 5
  EXPECT_EQ(ComputeMropePositions(tokens, kImage, std::span(&grid, 1), 2).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ComputeMropePositions(tokens, kImage, {}, 2).ok());
  std::vector<int32_t> text = {1, 2};
  EXPECT_FALSE(ComputeMropePositions(text, kImage, std::span(&grid, 1), 2).ok());
}

TEST(Mrope, InterleavedSlotsMatchSpec) {
  TextConfig t = PresetConfig("2b")->text;
  int counts[3] = {0, 0, 0};
  for (int k = 0; k < 64; ++k) counts[MropeAxis(t, k)]++;
  EXPECT_EQ(counts[0], 24);
  EXPECT_EQ(counts[1], 20);
  EXPECT_EQ(counts[2], 20);
  EXPECT_EQ(MropeAxis(t, 0), 0);
  EXPECT_EQ(MropeAxis(t, 1), 1);
  EXPECT_EQ(MropeAxis(t, 2), 2);
  EXPECT_EQ(MropeAxis(t, 58), 1);
  EXPECT_EQ(MropeAxis(t, 59), 2);
  for (int k = 60; k < 64; ++k) EXPECT_EQ(MropeAxis(t, k), 0) << k;
}

TEST(Mrope, AnglesUseTheRightAxis) {
  TextConfig t = PresetConfig("2b")->text;
  std::vector<int32_t> pos = {10, 20, 30};  // one token: t=10, h=20, w=30
  std::vector<float> angles(64);
  MropeAngles(MakeMropeFrequencies(t), pos, 1, angles.data());
  EXPECT_EQ(angles[0], 10.0f);  // inv_freq[0] = 1
  float inv1 = 1.0f / std::pow(5000000.0f, 2.0f / 128.0f);
  EXPECT_FLOAT_EQ(angles[1], 20.0f * inv1);
  EXPECT_GT(angles[2], 0.0f);
  float inv63 = 1.0f / std::pow(5000000.0f, 126.0f / 128.0f);
  EXPECT_FLOAT_EQ(angles[63], 10.0f * inv63);
}

TEST(VisionPositions, AxisCoordinatesFollowAlignCorners) {
  // 3 patches on a 16-wide table: coordinates 0, 7.5, 15 -> the middle patch mixes
  // table columns 7 and 8 half and half.
  ImageGrid g{1, 2, 3};
  PositionInterpolation p = InterpolatePositions(g, 16, 1);
  ASSERT_EQ(p.index.size(), 24u);
  // Patch (0,1): row 0, col 7.5.
  EXPECT_EQ(p.index[4 + 0], 7);
  EXPECT_EQ(p.index[4 + 1], 8);
  EXPECT_FLOAT_EQ(p.weight[4 + 0], 0.5f);
  EXPECT_FLOAT_EQ(p.weight[4 + 1], 0.5f);
  // Patch (1,2): the bottom-right corner, table entry 255 with weight 1.
  EXPECT_EQ(p.index[20 + 0], 255);
  EXPECT_FLOAT_EQ(p.weight[20 + 0], 1.0f);
}

TEST(VisionPositions, InterpolationCornersAndOrder) {
  // 4x4 patches on an 8x8 table: corners of the image hit table corners exactly.
  ImageGrid g{1, 4, 4};
  PositionInterpolation p = InterpolatePositions(g, 8, 2);
  ASSERT_EQ(p.index.size(), 64u);
  EXPECT_EQ(p.index[0], 0);  // patch (0,0)
  EXPECT_FLOAT_EQ(p.weight[0], 1.0f);
  // Merge-block order: the 2nd patch is (0,1), the 3rd is (1,0).
  float sum = 0;
  for (int c = 0; c < 4; ++c) sum += p.weight[4 + c];
  EXPECT_NEAR(sum, 1.0f, 1e-6);
  // Last patch is (3,3): bottom-right table entry 63 with weight 1.
  int last = 15 * 4;
  float w63 = 0;
  for (int c = 0; c < 4; ++c)
    if (p.index[last + c] == 63) w63 += p.weight[last + c];
  EXPECT_FLOAT_EQ(w63, 1.0f);
}

TEST(VisionPositions, RotaryRowsAndColumns) {
  ImageGrid g{1, 4, 4};
  std::vector<float> a(16 * 8);  // head_dim 16 -> 8 angles per patch
  VisionRotaryAngles(g, 16, 2, a.data());
  // Patch index 3 in merge-block order is (row 1, col 1); index 4 is (0, 2).
  EXPECT_EQ(a[3 * 8 + 0], 1.0f);
  EXPECT_EQ(a[3 * 8 + 4], 1.0f);
  EXPECT_EQ(a[4 * 8 + 0], 0.0f);
  EXPECT_EQ(a[4 * 8 + 4], 2.0f);
  EXPECT_FLOAT_EQ(a[4 * 8 + 5], 2.0f / std::pow(10000.0f, 2.0f / 8.0f));
}

}  // namespace
}  // namespace corgi::qwen3vl
