#include "corgi/image/encode.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "corgi/image/decode.h"
#include "image/test_util.h"

namespace corgi {
namespace {

using image_test::SharedPath;

RgbImage Noise(int64_t height, int64_t width, uint32_t seed) {
  RgbImage img = RgbImage::Make(height, width);
  std::mt19937 rng(seed);
  for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(rng() & 0xFF);
  return img;
}

RgbImage Photo() {
  StatusOr<RgbImage> img = DecodeImageFile(SharedPath("images/llama_cpp_mtmd/test-1.jpeg"));
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return img.ok() ? *img : RgbImage::Make(1, 1);
}

double Psnr(const RgbImage& a, const RgbImage& b) {
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = static_cast<double>(a.pixels[i]) - b.pixels[i];
    se += d * d;
  }
  const double mse = se / static_cast<double>(a.pixels.size());
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

void ExpectPngRoundTrip(const RgbImage& img) {
  StatusOr<std::string> png = EncodePng(img);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(DetectImageFormat(*png), ImageFormat::kPng);
  StatusOr<RgbImage> back = DecodeImage(*png);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->width, img.width);
  EXPECT_EQ(back->height, img.height);
  EXPECT_TRUE(back->pixels == img.pixels) << "PNG must round-trip exactly";
}

TEST(EncodePngTest, RoundTripsExactly) {
  ExpectPngRoundTrip(Photo());                 // 640x488 photo
  ExpectPngRoundTrip(Noise(13, 7, 1));         // odd sizes, incompressible
  ExpectPngRoundTrip(Noise(1, 1, 2));          // single pixel
  ExpectPngRoundTrip(Noise(3, 1025, 3));       // wide strip
  ExpectPngRoundTrip(RgbImage::Make(64, 64));  // all black compresses
}

TEST(EncodePngTest, CompressesFlatImages) {
  StatusOr<std::string> png = EncodePng(RgbImage::Make(256, 256));
  ASSERT_TRUE(png.ok());
  EXPECT_LT(png->size(), 4096u);  // 196,608 raw bytes of zeros
}

TEST(EncodeJpegTest, RoundTripsWithinQualityBounds) {
  const RgbImage photo = Photo();
  StatusOr<std::string> hi = EncodeJpeg(photo, 95);
  StatusOr<std::string> lo = EncodeJpeg(photo, 30);
  ASSERT_TRUE(hi.ok()) << hi.status().ToString();
  ASSERT_TRUE(lo.ok()) << lo.status().ToString();
  EXPECT_EQ(DetectImageFormat(*hi), ImageFormat::kJpeg);
  EXPECT_LT(lo->size(), hi->size());
  StatusOr<RgbImage> back_hi = DecodeImage(*hi);
  StatusOr<RgbImage> back_lo = DecodeImage(*lo);
  ASSERT_TRUE(back_hi.ok() && back_lo.ok());
  ASSERT_EQ(back_hi->width, photo.width);
  ASSERT_EQ(back_hi->height, photo.height);
  const double psnr_hi = Psnr(photo, *back_hi), psnr_lo = Psnr(photo, *back_lo);
  EXPECT_GT(psnr_hi, 35.0);
  EXPECT_GT(psnr_lo, 27.0);
  EXPECT_GT(psnr_hi, psnr_lo);
}

TEST(EncodeJpegTest, FlatColorSurvivesNearlyExactly) {
  RgbImage img = RgbImage::Make(20, 30);
  for (int64_t y = 0; y < img.height; ++y) {
    for (int64_t x = 0; x < img.width; ++x) {
      uint8_t* p = img.At(y, x);
      p[0] = 200, p[1] = 40, p[2] = 90;
    }
  }
  StatusOr<std::string> jpg = EncodeJpeg(img, 90);
  ASSERT_TRUE(jpg.ok());
  StatusOr<RgbImage> back = DecodeImage(*jpg);
  ASSERT_TRUE(back.ok());
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    ASSERT_NEAR(back->pixels[i], img.pixels[i], 3) << "byte " << i;
  }
}

TEST(EncodeTest, RejectsBadInput) {
  EXPECT_EQ(EncodePng(RgbImage()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeJpeg(RgbImage(), 90).status().code(), StatusCode::kInvalidArgument);
  RgbImage inconsistent = RgbImage::Make(4, 4);
  inconsistent.pixels.resize(10);
  EXPECT_EQ(EncodePng(inconsistent).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeJpeg(inconsistent, 90).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeJpeg(RgbImage::Make(4, 4), 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeJpeg(RgbImage::Make(4, 4), 101).status().code(), StatusCode::kInvalidArgument);
  RgbImage huge;  // dimensions only; the size check comes before any pixel is read
  huge.height = 1;
  huge.width = 70000;
  huge.pixels.resize(70000 * 3);
  EXPECT_EQ(EncodeJpeg(huge, 90).status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace corgi
