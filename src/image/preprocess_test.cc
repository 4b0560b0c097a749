#include <gtest/gtest.h>
#include <cmath>

#include "corgi/image/preprocess.h"

namespace corgi {
namespace {

TEST(NormalizationTest, FusedHalfMeanStdIsSpecFormula) {
  // spec §3.4: p = (x - 127.5) / 127.5 in float32.
  auto table = NormalizationTable(VisionPreprocessParams::Qwen3Vl());
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      EXPECT_EQ(table[c][v], (static_cast<float>(v) - 127.5f) / 127.5f) << v;
    }
    EXPECT_EQ(table[c][0], -1.0f);
    EXPECT_EQ(table[c][255], 1.0f);
  }
}

TEST(NormalizationTest, FusedClipUsesPremultipliedFloat32MeanStd) {
  auto table = NormalizationTable(VisionPreprocessParams::Qwen25Vl());
  // HF: mean' = float32(0.48145466) * 255.0f, std' likewise, then (x - mean') / std'.
  const float mean = 0.48145466f * 255.0f, std = 0.26862954f * 255.0f;
  EXPECT_EQ(table[0][200], (200.0f - mean) / std);
  VisionPreprocessParams p = VisionPreprocessParams::Qwen25Vl();
  p.normalize = NormalizeMode::kRescaleThenNormalize;
  auto t2 = NormalizationTable(p);
  EXPECT_EQ(t2[0][200], (200.0f * static_cast<float>(1.0 / 255.0) - 0.48145466f) / 0.26862954f);
}

// An image whose pixels name their own coordinates: R = patch row, G = patch column,
// B = position inside the patch (py * P + px, P = 8 so it fits a byte).
RgbImage CoordinateImage(int64_t grid_h, int64_t grid_w, int64_t P) {
  RgbImage img = RgbImage::Make(grid_h * P, grid_w * P);
  for (int64_t y = 0; y < img.height; ++y) {
    for (int64_t x = 0; x < img.width; ++x) {
      uint8_t* px = img.At(y, x);
      px[0] = static_cast<uint8_t>(y / P);
      px[1] = static_cast<uint8_t>(x / P);
      px[2] = static_cast<uint8_t>((y % P) * P + x % P);
    }
  }
  return img;
}

TEST(PatchifyTest, MergeBlockOrderAndTemporalDuplication) {
  VisionPreprocessParams p;
  p.patch_size = 8;
  p.temporal_patch_size = 2;
  p.merge_size = 2;
  p.image_mean = {0, 0, 0};  // identity normalization: values are the raw levels
  p.image_std = {1, 1, 1};
  p.rescale_factor = 1.0;
  const int64_t gh = 4, gw = 6, P = 8, T = 2;
  StatusOr<PreprocessedImage> out = NormalizeAndPatchify(CoordinateImage(gh, gw, P), p);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->grid_h, gh);
  EXPECT_EQ(out->grid_w, gw);
  EXPECT_EQ(out->patch_dim, 3 * T * P * P);
  EXPECT_EQ(out->num_merged_tokens(), gh * gw / 4);
  // spec §3.4: for by, for bx, for dy, for dx -> patch (2by+dy, 2bx+dx).
  int64_t r = 0;
  for (int64_t by = 0; by < gh / 2; ++by) {
    for (int64_t bx = 0; bx < gw / 2; ++bx) {
      for (int64_t dy = 0; dy < 2; ++dy) {
        for (int64_t dx = 0; dx < 2; ++dx, ++r) {
          const float* row = &out->pixel_values[r * out->patch_dim];
          for (int64_t t = 0; t < T; ++t) {
            for (int64_t i = 0; i < P * P; ++i) {
              ASSERT_EQ(row[0 * T * P * P + t * P * P + i], 2 * by + dy) << "row " << r;
              ASSERT_EQ(row[1 * T * P * P + t * P * P + i], 2 * bx + dx) << "row " << r;
              ASSERT_EQ(row[2 * T * P * P + t * P * P + i], i) << "row " << r;
            }
          }
        }
      }
    }
  }
}

TEST(PreprocessTest, GridAndTokenCounts) {
  StatusOr<PreprocessedImage> out =
      PreprocessImage(RgbImage::Make(480, 640), VisionPreprocessParams::Qwen3Vl());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->grid_t, 1);
  EXPECT_EQ(out->grid_h, 30);
  EXPECT_EQ(out->grid_w, 40);
  EXPECT_EQ(out->num_patches(), 1200);
  EXPECT_EQ(out->num_merged_tokens(), 300);
  EXPECT_EQ(out->pixel_values.size(), 1200u * 1536u);
  // spec §6: Qwen2.5-VL turns 480x640 into 476x644, grid (1, 34, 46), 391 tokens.
  out = PreprocessImage(RgbImage::Make(480, 640), VisionPreprocessParams::Qwen25Vl());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->resized_height, 476);
  EXPECT_EQ(out->resized_width, 644);
  EXPECT_EQ(out->num_merged_tokens(), 391);
  EXPECT_EQ(out->patch_dim, 1176);
}

TEST(PreprocessTest, Errors) {
  VisionPreprocessParams p;
  EXPECT_EQ(PreprocessImage(RgbImage(), p).status().code(), StatusCode::kInvalidArgument);
  p.do_resize = false;
  EXPECT_EQ(PreprocessImage(RgbImage::Make(33, 64), p).status().code(),
            StatusCode::kInvalidArgument);
  p = VisionPreprocessParams();
  p.max_input_pixels = 100;
  EXPECT_EQ(PreprocessImage(RgbImage::Make(11, 10), p).status().code(), StatusCode::kOutOfRange);
  p = VisionPreprocessParams();
  p.image_std[1] = 0;
  EXPECT_EQ(ValidatePreprocessParams(p).code(), StatusCode::kInvalidArgument);
  p = VisionPreprocessParams();
  p.min_pixels = p.max_pixels + 1;
  EXPECT_EQ(ValidatePreprocessParams(p).code(), StatusCode::kInvalidArgument);
}

RgbImage Numbered(int64_t h, int64_t w) {
  RgbImage img = RgbImage::Make(h, w);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      img.At(y, x)[0] = static_cast<uint8_t>(x);
      img.At(y, x)[1] = static_cast<uint8_t>(y);
    }
  }
  return img;
}

void ExpectCrop(const RgbImage& img, std::array<double, 4> box, int64_t x0, int64_t y0, int64_t w,
                int64_t h) {
  StatusOr<RgbImage> c = CropNormalized(img, box);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->width, w);
  ASSERT_EQ(c->height, h);
  EXPECT_EQ(c->At(0, 0)[0], x0);
  EXPECT_EQ(c->At(0, 0)[1], y0);
}

TEST(CropTest, RoundsOutwardClampsAndKeepsOnePixel) {
  RgbImage img = Numbered(40, 100);
  ExpectCrop(img, {0, 0, 1, 1}, 0, 0, 100, 40);
  ExpectCrop(img, {0.25, 0.5, 0.75, 1.0}, 25, 20, 50, 20);
  ExpectCrop(img, {0.101, 0, 0.199, 1}, 10, 0, 10, 40);     // floor(10.1), ceil(19.9)
  ExpectCrop(img, {0.75, 1.0, 0.25, 0.5}, 25, 20, 50, 20);  // reversed corners
  ExpectCrop(img, {-3, -1, 7, 2}, 0, 0, 100, 40);           // clamped
  ExpectCrop(img, {0.5, 0.5, 0.5, 0.5}, 50, 20, 1, 1);      // empty box -> 1x1
  ExpectCrop(img, {1, 1, 1, 1}, 99, 39, 1, 1);              // at the far corner
  EXPECT_EQ(CropNormalized(img, {0, NAN, 1, 1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CropNormalized(RgbImage(), {0, 0, 1, 1}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi
