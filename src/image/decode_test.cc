#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "corgi/image/decode.h"
#include "image/decoders.h"
#include "image/test_util.h"

namespace corgi {
namespace {

using image_test::FixturePath;
using image_test::ReadBytes;
using image_test::Reference;
using image_test::SharedPath;

TEST(DetectFormatTest, UsesMagicBytesNotNames) {
  EXPECT_EQ(DetectImageFormat(std::string_view("\xFF\xD8\xFF\xE0", 4)), ImageFormat::kJpeg);
  EXPECT_EQ(DetectImageFormat(std::string_view("\x89PNG\r\n\x1a\n", 8)), ImageFormat::kPng);
  EXPECT_EQ(DetectImageFormat(std::string_view("RIFF\x10\0\0\0WEBPVP8 ", 16)), ImageFormat::kWebp);
  EXPECT_EQ(DetectImageFormat("GIF89a"), ImageFormat::kUnknown);
  EXPECT_EQ(DetectImageFormat(""), ImageFormat::kUnknown);
  // A JPEG named .png and a PNG named .jpg in the shared samples.
  std::string jpeg = ReadBytes(
      SharedPath("images/qwen_cookbook/qwen3-vl-era/document_parsing/docparsing_example8.png"));
  EXPECT_EQ(DetectImageFormat(jpeg), ImageFormat::kJpeg);
  std::string png = ReadBytes(SharedPath(
      "images/qwen_cookbook/qwen2.5-vl-era/universal_recognition/unireco_bird_example.jpg"));
  EXPECT_EQ(DetectImageFormat(png), ImageFormat::kPng);
}

TEST(CompositeTest, MatchesPillowForEveryValueAndAlpha) {
  std::string table = ReadBytes(FixturePath("alpha_over_white.bin"));
  ASSERT_EQ(table.size(), 65536u);
  for (uint32_t a = 0; a < 256; ++a) {
    for (uint32_t v = 0; v < 256; ++v) {
      ASSERT_EQ(image_internal::CompositeOverWhite(v, a), static_cast<uint8_t>(table[a * 256 + v]))
          << "value " << v << " alpha " << a;
    }
  }
}

// Every PNG/JPEG/WebP variant the reference script generated, against Pillow + HF
// convert_to_rgb. Lossless formats must be exact; lossy ones may differ by libjpeg-turbo /
// libwebp version (Pillow bundles its own), so those report and allow +-1.
TEST(DecodeTest, VariantsMatchPillow) {
  const auto& cases = Reference().at("decode_cases");
  ASSERT_GT(cases.size(), 20u);
  for (const auto& c : cases) {
    const std::string file = c.at("file");
    StatusOr<RgbImage> img = DecodeImage(ReadBytes(FixturePath(file)));
    ASSERT_TRUE(img.ok()) << file << ": " << img.status().ToString();
    ASSERT_EQ(img->height, c.at("height").get<int64_t>()) << file;
    ASSERT_EQ(img->width, c.at("width").get<int64_t>()) << file;
    std::string want = ReadBytes(FixturePath(c.at("expected")));
    ASSERT_EQ(want.size(), img->pixels.size()) << file;
    int max_diff = 0;
    size_t equal = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      int d = std::abs(static_cast<int>(img->pixels[i]) - static_cast<uint8_t>(want[i]));
      max_diff = std::max(max_diff, d);
      equal += d == 0;
    }
    const bool lossy =
        file.find(".jpg") != std::string::npos || file.find("lossy") != std::string::npos;
    if (max_diff != 0) {
      std::printf("  %s: max diff %d, %.4f of bytes equal\n", file.c_str(), max_diff,
                  static_cast<double>(equal) / want.size());
    }
    EXPECT_LE(max_diff, lossy ? 1 : 0) << file << " (Pillow mode " << c.at("pil_mode") << ")";
  }
}

TEST(DecodeTest, ExifOrientationMatchesPillowExifTranspose) {
  const auto& cases = Reference().at("exif_cases");
  ASSERT_EQ(cases.size(), 24u);  // 8 orientations x JPEG, PNG, WebP
  for (const auto& c : cases) {
    const std::string file = c.at("file");
    const std::string bytes = ReadBytes(FixturePath(file));
    StatusOr<ImageInfo> info = ReadImageInfo(bytes);
    ASSERT_TRUE(info.ok()) << file;
    EXPECT_EQ(info->exif_orientation, c.at("orientation").get<int>()) << file;
    StatusOr<RgbImage> img = DecodeImage(bytes);
    ASSERT_TRUE(img.ok()) << file << ": " << img.status().ToString();
    ASSERT_EQ(img->height, c.at("height").get<int64_t>()) << file;
    ASSERT_EQ(img->width, c.at("width").get<int64_t>()) << file;
    std::string want = ReadBytes(FixturePath(c.at("expected")));
    ASSERT_EQ(want.size(), img->pixels.size());
    int max_diff = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(img->pixels[i] - static_cast<uint8_t>(want[i])));
    }
    EXPECT_LE(max_diff, file.find(".jpg") != std::string::npos ? 1 : 0) << file;
    // With the option off we get the stored pixels, as HF does.
    DecodeOptions raw;
    raw.apply_exif_orientation = false;
    StatusOr<RgbImage> unrotated = DecodeImage(bytes, raw);
    ASSERT_TRUE(unrotated.ok());
    EXPECT_EQ(unrotated->height, info->height);
    if (file.find(".jpg") == std::string::npos) {
      EXPECT_EQ(image_test::ChecksumOf(*unrotated),
                image_test::ChecksumFromJson(c.at("raw_checksum")))
          << file;
    }
  }
}

TEST(DecodeTest, ClearErrors) {
  EXPECT_EQ(DecodeImage("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeImage("GIF89a......").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(DecodeImageFile("/nonexistent/x.png").status().code(), StatusCode::kNotFound);
  std::string jpeg = ReadBytes(SharedPath("images/llama_cpp_mtmd/test-1.jpeg"));
  Status s = DecodeImage(std::string_view(jpeg).substr(0, jpeg.size() / 2)).status();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.ToString();
  std::string png = ReadBytes(FixturePath("decode/rgb8.png"));
  EXPECT_EQ(DecodeImage(std::string_view(png).substr(0, png.size() - 30)).status().code(),
            StatusCode::kDataLoss);
  std::string webp = ReadBytes(FixturePath("decode/lossy.webp"));
  EXPECT_EQ(DecodeImage(std::string_view(webp).substr(0, webp.size() - 20)).status().code(),
            StatusCode::kDataLoss);
}

// The guard must refuse from the header alone: these headers claim 60000x60000 pixels
// (3.6e9) over a few hundred bytes of data, so any attempt to allocate would be visible.
TEST(DecodeTest, DecompressionBombIsRefusedBeforeAllocation) {
  std::string jpeg = ReadBytes(FixturePath("decode/baseline444.jpg"));
  size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = jpeg[sof + 7] = static_cast<char>(0xEA);  // height, width = 0xEA60 = 60000
  jpeg[sof + 6] = jpeg[sof + 8] = static_cast<char>(0x60);
  Status s = DecodeImage(jpeg).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();

  std::string png = ReadBytes(FixturePath("decode/rgb8.png"));
  // IHDR width/height at offsets 16 and 20; libpng checks the chunk CRC, so fix it too.
  const char dims[8] = {0, 0, static_cast<char>(0xEA), 0x60, 0, 0, static_cast<char>(0xEA), 0x60};
  std::memcpy(&png[16], dims, 8);
  uint32_t crc = 0xFFFFFFFFu;  // CRC-32 over "IHDR" + 13 data bytes
  for (size_t i = 12; i < 29; ++i) {
    crc ^= static_cast<uint8_t>(png[i]);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  crc ^= 0xFFFFFFFFu;
  for (int k = 0; k < 4; ++k) png[29 + k] = static_cast<char>(crc >> (24 - 8 * k));
  s = DecodeImage(png).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();

  DecodeOptions tight;
  tight.max_pixels = 100;
  s = DecodeImage(ReadBytes(FixturePath("decode/lossy.webp")), tight).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
}

TEST(DecodeTest, ReadImageInfo) {
  StatusOr<ImageInfo> info =
      ReadImageInfo(ReadBytes(SharedPath("images/moondream_demo/demo-2.jpg")));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->format, ImageFormat::kJpeg);
  EXPECT_EQ(info->width, 822);
  EXPECT_EQ(info->height, 966);
  EXPECT_EQ(info->exif_orientation, 1);
}

}  // namespace
}  // namespace corgi
