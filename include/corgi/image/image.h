// RgbImage: the one in-memory image type of the image layer — 8-bit RGB, interleaved,
// row-major, no padding between rows.
//
//   corgi::RgbImage img = corgi::RgbImage::Make(480, 640);  // zero-filled
//   uint8_t* px = img.At(y, x);                            // px[0..2] = R, G, B
//
// Plain value type: owns its pixels, copyable and movable. Not synchronized; share
// a const image between threads freely, mutate from one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace corgi {

struct RgbImage {
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3], R G B

  // A zero-filled image. height, width >= 0 (CORGI_CHECK).
  static RgbImage Make(int64_t height, int64_t width);

  bool empty() const { return height == 0 || width == 0; }
  size_t row_bytes() const { return static_cast<size_t>(width) * 3; }
  uint8_t* At(int64_t y, int64_t x) { return pixels.data() + (y * width + x) * 3; }
  const uint8_t* At(int64_t y, int64_t x) const { return pixels.data() + (y * width + x) * 3; }
};

}  // namespace corgi
