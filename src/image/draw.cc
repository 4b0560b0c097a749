#include "corgi/image/draw.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "corgi/core/check.h"

namespace corgi {
namespace {

// Matches CropNormalized (preprocess.cc): outward rounding, at least one pixel.
void Span(double lo, double hi, int64_t size, int64_t* begin, int64_t* end) {
  *begin = std::clamp<int64_t>(static_cast<int64_t>(std::floor(lo * size)), 0, size - 1);
  *end = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(hi * size)), *begin + 1, size);
}

inline uint8_t Mix(uint8_t fg, uint8_t bg, uint32_t alpha) {
  return static_cast<uint8_t>((fg * alpha + bg * (255 - alpha) + 127) / 255);
}

}  // namespace

PixelRect NormalizedToPixelRect(const std::array<double, 4>& box, int64_t width, int64_t height) {
  CORGI_CHECK(width > 0 && height > 0) << "NormalizedToPixelRect on an empty image";
  auto clamp01 = [](double v) { return std::isnan(v) ? 0.0 : std::clamp(v, 0.0, 1.0); };
  double x1 = clamp01(box[0]), y1 = clamp01(box[1]), x2 = clamp01(box[2]), y2 = clamp01(box[3]);
  if (x2 < x1) std::swap(x1, x2);
  if (y2 < y1) std::swap(y1, y2);
  PixelRect r;
  Span(x1, x2, width, &r.x0, &r.x1);
  Span(y1, y2, height, &r.y0, &r.y1);
  return r;
}

PixelRect ClipToImage(const PixelRect& rect, const RgbImage& image) {
  PixelRect r;
  r.x0 = std::clamp<int64_t>(rect.x0, 0, image.width);
  r.x1 = std::clamp<int64_t>(rect.x1, 0, image.width);
  r.y0 = std::clamp<int64_t>(rect.y0, 0, image.height);
  r.y1 = std::clamp<int64_t>(rect.y1, 0, image.height);
  return r;
}

void BlendPixel(RgbImage* image, int64_t x, int64_t y, Rgb color, uint8_t alpha) {
  if (x < 0 || y < 0 || x >= image->width || y >= image->height || alpha == 0) return;
  uint8_t* p = image->At(y, x);
  p[0] = Mix(color.r, p[0], alpha);
  p[1] = Mix(color.g, p[1], alpha);
  p[2] = Mix(color.b, p[2], alpha);
}

void FillRectangle(RgbImage* image, const PixelRect& rect, Rgb color, uint8_t alpha) {
  const PixelRect r = ClipToImage(rect, *image);
  if (r.empty() || alpha == 0) return;
  for (int64_t y = r.y0; y < r.y1; ++y) {
    uint8_t* p = image->At(y, r.x0);
    for (int64_t x = r.x0; x < r.x1; ++x, p += 3) {
      p[0] = Mix(color.r, p[0], alpha);
      p[1] = Mix(color.g, p[1], alpha);
      p[2] = Mix(color.b, p[2], alpha);
    }
  }
}

void DrawRectangle(RgbImage* image, const PixelRect& rect, Rgb color, int thickness) {
  if (thickness <= 0 || rect.empty()) return;
  const int64_t t = thickness;
  if (2 * t >= rect.width() || 2 * t >= rect.height()) {
    FillRectangle(image, rect, color);
    return;
  }
  // Four bands: top and bottom span the full width, left and right the rows between.
  FillRectangle(image, {rect.x0, rect.y0, rect.x1, rect.y0 + t}, color);
  FillRectangle(image, {rect.x0, rect.y1 - t, rect.x1, rect.y1}, color);
  FillRectangle(image, {rect.x0, rect.y0 + t, rect.x0 + t, rect.y1 - t}, color);
  FillRectangle(image, {rect.x1 - t, rect.y0 + t, rect.x1, rect.y1 - t}, color);
}

}  // namespace corgi
