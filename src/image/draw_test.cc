#include "corgi/image/draw.h"

#include <gtest/gtest.h>

#include <cmath>

#include "corgi/image/preprocess.h"

namespace corgi {
namespace {

constexpr Rgb kRed{255, 0, 0};

RgbImage Gray(int64_t height, int64_t width, uint8_t v) {
  RgbImage img = RgbImage::Make(height, width);
  for (uint8_t& p : img.pixels) p = v;
  return img;
}

Rgb PixelAt(const RgbImage& img, int64_t x, int64_t y) {
  const uint8_t* p = img.At(y, x);
  return Rgb{p[0], p[1], p[2]};
}

TEST(NormalizedToPixelRectTest, RoundsLikeCropNormalized) {
  // Same cases as CropNormalized's test; the drawn box must frame the crop exactly.
  const int64_t w = 100, h = 40;
  const std::array<double, 4> boxes[] = {
      {0, 0, 1, 1},   {0.25, 0.5, 0.75, 1.0}, {0.101, 0, 0.199, 1}, {0.75, 1.0, 0.25, 0.5},
      {-3, -1, 7, 2}, {0.5, 0.5, 0.5, 0.5},   {1, 1, 1, 1},         {0.333, 0.111, 0.667, 0.999}};
  RgbImage numbered = RgbImage::Make(h, w);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) numbered.At(y, x)[0] = x, numbered.At(y, x)[1] = y;
  }
  for (const auto& box : boxes) {
    PixelRect r = NormalizedToPixelRect(box, w, h);
    StatusOr<RgbImage> crop = CropNormalized(numbered, box);
    ASSERT_TRUE(crop.ok());
    EXPECT_EQ(r.width(), crop->width) << box[0] << "," << box[1] << "," << box[2] << "," << box[3];
    EXPECT_EQ(r.height(), crop->height);
    EXPECT_EQ(r.x0, crop->At(0, 0)[0]);
    EXPECT_EQ(r.y0, crop->At(0, 0)[1]);
  }
  PixelRect r = NormalizedToPixelRect({0.101, 0.2, 0.199, 0.8}, w, h);
  EXPECT_EQ(r.x0, 10);  // floor(10.1)
  EXPECT_EQ(r.x1, 20);  // ceil(19.9)
  EXPECT_EQ(r.y0, 8);
  EXPECT_EQ(r.y1, 32);
  r = NormalizedToPixelRect({NAN, 0, 1, 1}, w, h);  // NaN treated as 0
  EXPECT_EQ(r.x0, 0);
}

TEST(DrawRectangleTest, OutlineGrowsInwardAndLeavesInteriorAlone) {
  RgbImage img = Gray(50, 60, 100);
  DrawRectangle(&img, {10, 5, 40, 35}, kRed, 3);
  const Rgb gray{100, 100, 100};
  for (int64_t y = 0; y < img.height; ++y) {
    for (int64_t x = 0; x < img.width; ++x) {
      const bool inside = x >= 10 && x < 40 && y >= 5 && y < 35;
      const bool interior = x >= 13 && x < 37 && y >= 8 && y < 32;
      const Rgb want = inside && !interior ? kRed : gray;
      ASSERT_EQ(PixelAt(img, x, y), want) << "x=" << x << " y=" << y;
    }
  }
}

TEST(DrawRectangleTest, ClipsAndFillsWhenThick) {
  RgbImage img = Gray(10, 10, 0);
  DrawRectangle(&img, {-5, -5, 3, 3}, kRed, 1);  // partly outside: only inner edges visible
  EXPECT_EQ(PixelAt(img, 2, 0), kRed);           // right edge x = 2
  EXPECT_EQ(PixelAt(img, 0, 2), kRed);           // bottom edge y = 2
  EXPECT_EQ(PixelAt(img, 1, 1), (Rgb{0, 0, 0}));
  DrawRectangle(&img, {100, 100, 200, 200}, kRed, 4);  // entirely outside: no-op, no crash
  DrawRectangle(&img, {5, 5, 9, 9}, kRed, 2);          // 2*2 >= 4: filled
  EXPECT_EQ(PixelAt(img, 6, 6), kRed);
  DrawRectangle(&img, {0, 5, 4, 9}, kRed, 0);  // zero thickness: nothing
  EXPECT_EQ(PixelAt(img, 1, 6), (Rgb{0, 0, 0}));
}

TEST(BlendTest, AlphaBlendsWithRounding) {
  RgbImage img = Gray(4, 4, 0);
  FillRectangle(&img, {0, 0, 2, 2}, Rgb{255, 255, 255}, 128);
  // (255 * 128 + 0 * 127 + 127) / 255 = 128
  EXPECT_EQ(PixelAt(img, 0, 0), (Rgb{128, 128, 128}));
  EXPECT_EQ(PixelAt(img, 2, 2), (Rgb{0, 0, 0}));
  BlendPixel(&img, 3, 3, Rgb{200, 100, 50}, 255);
  EXPECT_EQ(PixelAt(img, 3, 3), (Rgb{200, 100, 50}));
  BlendPixel(&img, 3, 2, Rgb{200, 100, 50}, 0);
  EXPECT_EQ(PixelAt(img, 3, 2), (Rgb{0, 0, 0}));
  BlendPixel(&img, -1, 2, kRed, 255);  // ignored
  BlendPixel(&img, 2, 4, kRed, 255);   // ignored
  // 25% red over gray 100: (255*64 + 100*191 + 127)/255 = 139, (0*64 + 100*191 + 127)/255 = 75
  RgbImage g = Gray(1, 1, 100);
  BlendPixel(&g, 0, 0, kRed, 64);
  EXPECT_EQ(PixelAt(g, 0, 0), (Rgb{139, 75, 75}));
}

}  // namespace
}  // namespace corgi
