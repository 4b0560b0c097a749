#include "pipeline/boxes.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace corgi::pipeline {
namespace {

void ExpectBox(const Box& b, double x1, double y1, double x2, double y2) {
  EXPECT_DOUBLE_EQ(b.x1, x1);
  EXPECT_DOUBLE_EQ(b.y1, y1);
  EXPECT_DOUBLE_EQ(b.x2, x2);
  EXPECT_DOUBLE_EQ(b.y2, y2);
}

// spec §8: Qwen3-VL x_px = x/1000 * W_orig, so normalized = x / 1000 (not / 999).
TEST(BoxesTest, Relative1000DividesBy1000) {
  std::vector<std::string> warnings;
  auto b = FromModelBox({100, 200, 300, 1000}, BoxFrame::Relative1000(), "t", &warnings);
  ASSERT_TRUE(b.has_value());
  ExpectBox(*b, 0.1, 0.2, 0.3, 1.0);
  EXPECT_TRUE(warnings.empty());
}

// spec §8: Qwen2.5-VL x_orig = x * W_orig / (grid_w * 14): normalized = x / input width.
TEST(BoxesTest, ResizedInputPixelsDivideByInputSize) {
  std::vector<std::string> warnings;
  auto b =
      FromModelBox({203, 147, 406, 294}, BoxFrame::ResizedInputPixels(812, 588), "t", &warnings);
  ASSERT_TRUE(b.has_value());
  ExpectBox(*b, 0.25, 0.25, 0.5, 0.5);
}

TEST(BoxesTest, SwappedCornersAreFixed) {
  std::vector<std::string> warnings;
  auto b = FromModelBox({600, 400, 200, 100}, BoxFrame::Relative1000(), "step 1", &warnings);
  ASSERT_TRUE(b.has_value());
  ExpectBox(*b, 0.2, 0.1, 0.6, 0.4);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("swapped"), std::string::npos);
  EXPECT_NE(warnings[0].find("step 1"), std::string::npos);
}

TEST(BoxesTest, OutOfRangeIsClamped) {
  std::vector<std::string> warnings;
  auto b = FromModelBox({-50, 100, 300, 1200}, BoxFrame::Relative1000(), "t", &warnings);
  ASSERT_TRUE(b.has_value());
  ExpectBox(*b, 0.0, 0.1, 0.3, 1.0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("clamped"), std::string::npos);
}

TEST(BoxesTest, ZeroAreaAndNonFiniteAreDropped) {
  std::vector<std::string> warnings;
  EXPECT_FALSE(FromModelBox({500, 500, 500, 700}, BoxFrame::Relative1000(), "t", &warnings));
  EXPECT_FALSE(FromModelBox({1100, 0, 1200, 500}, BoxFrame::Relative1000(), "t", &warnings));
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(FromModelBox({nan, 0, 10, 10}, BoxFrame::Relative1000(), "t", &warnings));
  EXPECT_GE(warnings.size(), 3u);
}

TEST(BoxesTest, ToModelBoxInvertsBothConventions) {
  Box b{0.25, 0.25, 0.5, 0.5};
  auto rel = ToModelBox(b, BoxFrame::Relative1000());
  EXPECT_EQ(rel, (std::array<int64_t, 4>{250, 250, 500, 500}));
  auto pix = ToModelBox(b, BoxFrame::ResizedInputPixels(812, 588));
  EXPECT_EQ(pix, (std::array<int64_t, 4>{203, 147, 406, 294}));
  EXPECT_EQ(ModelBoxText(b, BoxFrame::Relative1000()), "[250, 250, 500, 500]");
}

TEST(BoxesTest, IouOfKnownBoxes) {
  Box a{0, 0, 0.5, 0.5}, b{0.25, 0, 0.75, 0.5};
  EXPECT_DOUBLE_EQ(Iou(a, b), 1.0 / 3.0);  // overlap 0.125 of union 0.375
  EXPECT_DOUBLE_EQ(Iou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(Iou(a, Box{0.6, 0.6, 0.9, 0.9}), 0.0);
}

TEST(BoxesTest, NmsSuppressesAboveThresholdOnly) {
  Box a{0, 0, 0.5, 0.5};
  Box near{0.01, 0, 0.5, 0.5};    // IoU 0.98
  Box third{0.25, 0, 0.75, 0.5};  // IoU 1/3 with a
  Box far{0.6, 0.6, 0.9, 0.9};
  std::vector<Box> kept = Nms({a, near, third, far}, 0.5);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_TRUE(SameBox(kept[0], a));
  EXPECT_TRUE(SameBox(kept[1], third));
  EXPECT_TRUE(SameBox(kept[2], far));
  EXPECT_EQ(Nms({a, third}, 0.3).size(), 1u);  // 1/3 > 0.3
}

TEST(BoxesTest, ExpandGrowsByAFractionOfSizeAndClamps) {
  ExpectBox(ExpandBox(Box{0.4, 0.4, 0.6, 0.6}, 0.125), 0.375, 0.375, 0.625, 0.625);
  ExpectBox(ExpandBox(Box{0.0, 0.9, 0.2, 1.0}, 0.125), 0.0, 0.8875, 0.225, 1.0);
}

TEST(BoxesTest, CropForEvidenceHasTheExpandedPixelSize) {
  RgbImage img = RgbImage::Make(600, 800);
  // (0.25..0.5) grown by 12.5% of 0.25 on each side: 0.21875..0.53125;
  // x: [floor(175), ceil(425)) = 250 px; y: [floor(131.25), ceil(318.75)) = 188 px.
  StatusOr<RgbImage> crop = CropForEvidence(img, Box{0.25, 0.25, 0.5, 0.5}, 0.125);
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  EXPECT_EQ(crop->width, 250);
  EXPECT_EQ(crop->height, 188);
  EXPECT_FALSE(CropForEvidence(RgbImage{}, Box{}, 0.125).ok());
}

}  // namespace
}  // namespace corgi::pipeline
