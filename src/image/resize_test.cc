#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "corgi/image/resize.h"

namespace corgi {
namespace {

RgbImage Random(int64_t h, int64_t w, uint32_t seed) {
  RgbImage img = RgbImage::Make(h, w);
  std::mt19937 rng(seed);
  for (auto& v : img.pixels) v = static_cast<uint8_t>(rng());
  return img;
}

// Pillow's antialiased bicubic in double precision, straight from the formulas in
// spec §3.3, with no fixed point: the fixed-point kernels must stay within 1 of it per pass.
std::vector<double> ReferenceAxis(const std::vector<double>& in, int64_t out_size) {
  const int64_t in_size = static_cast<int64_t>(in.size());
  const double scale = static_cast<double>(in_size) / out_size;
  const double fs = std::max(scale, 1.0), support = 2.0 * fs;
  std::vector<double> out(out_size);
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size);
    double acc = 0, total = 0;
    for (int64_t j = lo; j < hi; ++j) {
      double x = std::abs((j - center + 0.5) / fs), w = 0;
      if (x < 1)
        w = (1.5 * x - 2.5) * x * x + 1;
      else if (x < 2)
        w = (((x - 5) * x + 8) * x - 4) * -0.5;
      acc += w * in[j];
      total += w;
    }
    out[i] = std::clamp(std::round(acc / total), 0.0, 255.0);  // uint8 after each pass
  }
  return out;
}

TEST(ResizeBicubicTest, SameSizeIsACopy) {
  RgbImage img = Random(7, 9, 1);
  StatusOr<RgbImage> out = ResizeBicubic(img, 7, 9, ResamplePrecision::kTorchvision);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->pixels, img.pixels);
}

TEST(ResizeBicubicTest, ConstantStaysConstant) {
  for (auto precision : {ResamplePrecision::kTorchvision, ResamplePrecision::kPillow}) {
    RgbImage img = RgbImage::Make(37, 53);
    for (auto& v : img.pixels) v = 173;
    for (auto [h, w] : {std::pair<int64_t, int64_t>{11, 19}, {96, 160}, {37, 200}, {5, 53}}) {
      StatusOr<RgbImage> out = ResizeBicubic(img, h, w, precision);
      ASSERT_TRUE(out.ok());
      for (uint8_t v : out->pixels) ASSERT_NEAR(v, 173, 1) << h << "x" << w;
    }
  }
}

TEST(ResizeBicubicTest, CloseToDoublePrecisionReference) {
  RgbImage img = Random(23, 41, 7);
  for (auto precision : {ResamplePrecision::kTorchvision, ResamplePrecision::kPillow}) {
    for (auto [h, w] : {std::pair<int64_t, int64_t>{9, 17}, {64, 96}, {23, 13}, {50, 41}}) {
      StatusOr<RgbImage> out = ResizeBicubic(img, h, w, precision);
      ASSERT_TRUE(out.ok());
      // Reference: horizontal then vertical in double, rounding to uint8 between passes.
      std::vector<double> mid(img.height * w * 3);
      for (int64_t y = 0; y < img.height; ++y) {
        for (int c = 0; c < 3; ++c) {
          std::vector<double> row(img.width);
          for (int64_t x = 0; x < img.width; ++x) row[x] = img.At(y, x)[c];
          std::vector<double> r = w == img.width ? row : ReferenceAxis(row, w);
          for (int64_t x = 0; x < w; ++x) mid[(y * w + x) * 3 + c] = r[x];
        }
      }
      int max_diff = 0;
      for (int64_t x = 0; x < w; ++x) {
        for (int c = 0; c < 3; ++c) {
          std::vector<double> col(img.height);
          for (int64_t y = 0; y < img.height; ++y) col[y] = mid[(y * w + x) * 3 + c];
          std::vector<double> r = h == img.height ? col : ReferenceAxis(col, h);
          for (int64_t y = 0; y < h; ++y) {
            max_diff = std::max(max_diff, std::abs(out->At(y, x)[c] - static_cast<int>(r[y])));
          }
        }
      }
      // One LSB per pass can accumulate to 2 through the second pass's gain.
      EXPECT_LE(max_diff, 2) << h << "x" << w;
    }
  }
}

TEST(ResizeBicubicTest, ThreadPoolGivesIdenticalPixels) {
  RgbImage img = Random(301, 257, 3);
  ThreadPool pool(3);
  StatusOr<RgbImage> a = ResizeBicubic(img, 160, 96, ResamplePrecision::kTorchvision, nullptr);
  StatusOr<RgbImage> b = ResizeBicubic(img, 160, 96, ResamplePrecision::kTorchvision, &pool);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->pixels, b->pixels);
}

TEST(ResizeBicubicTest, RejectsEmpty) {
  RgbImage img = Random(4, 4, 1);
  EXPECT_EQ(ResizeBicubic(img, 0, 4, ResamplePrecision::kPillow).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ResizeBicubic(RgbImage(), 4, 4, ResamplePrecision::kPillow).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi
