// An image file as users hand it over (CLI, batch, HTTP uploads): JPEG, PNG or WebP,
// header, decode with EXIF orientation, then the Qwen-VL preprocessing at small bounds
// (so one input stays fast) and a crop. Decoding is capped at 4 Mpx here: the default
// decompression-bomb guard (179 Mpx) would let one input take gigabytes and time out.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/check.h"
#include "corgi/image/decode.h"
#include "corgi/image/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  corgi::StatusOr<corgi::ImageInfo> info = corgi::ReadImageInfo(bytes);
  corgi::DecodeOptions options;
  options.max_pixels = int64_t{1} << 22;
  corgi::StatusOr<corgi::RgbImage> image = corgi::DecodeImage(bytes, options);
  if (!image.ok()) return 0;
  CORGI_CHECK(info.ok()) << "decoded an image whose header was refused: "
                         << info.status().ToString();
  CORGI_CHECK(image->height > 0 && image->width > 0);
  CORGI_CHECK(image->pixels.size() == static_cast<size_t>(image->height * image->width * 3));

  corgi::VisionPreprocessParams params = corgi::VisionPreprocessParams::Qwen3Vl();
  params.min_pixels = 32 * 32;
  params.max_pixels = 128 * 128;
  params.max_input_pixels = options.max_pixels;
  corgi::StatusOr<corgi::PreprocessedImage> pre = corgi::PreprocessImage(*image, params);
  if (pre.ok()) {
    CORGI_CHECK(pre->pixel_values.size() ==
                static_cast<size_t>(pre->num_patches() * pre->patch_dim));
    // smart_resize keeps each side at least one factor (patch x merge), as Hugging Face
    // does, so a very elongated image may exceed max_pixels by up to a factor-wide strip.
    const int64_t strip = params.factor() * std::max(pre->resized_height, pre->resized_width);
    CORGI_CHECK(pre->resized_height * pre->resized_width <= params.max_pixels + strip)
        << pre->resized_height << "x" << pre->resized_width;
  }
  const double x = static_cast<double>(data[0]) / 255,
               y = static_cast<double>(data[size - 1]) / 255;
  corgi::StatusOr<corgi::RgbImage> crop = corgi::CropNormalized(*image, {x, y, 1 - x, 1 - y});
  CORGI_CHECK(crop.ok() && !crop->empty()) << crop.status().ToString();
  return 0;
}
