// Drawing primitives for annotated images: rectangle outlines of a given thickness,
// filled rectangles with alpha, and single alpha-blended pixels (what a text renderer
// needs for anti-aliased glyph coverage). No fonts here: text is drawn by the pipeline's
// report code on top of BlendPixel.
//
//   corgi::PixelRect r = corgi::NormalizedToPixelRect({0.1, 0.2, 0.5, 0.6}, img.width, img.height);
//   corgi::DrawRectangle(&img, r, corgi::Rgb{0, 200, 0}, /*thickness=*/3);
//
// Rectangles are half-open pixel ranges [x0, x1) x [y0, y1). Everything is clipped to the
// image, so any rectangle (even one entirely outside) is safe to draw. Functions mutate
// only the image they are given; not synchronized.
#pragma once

#include <array>
#include <cstdint>

#include "corgi/image/image.h"

namespace corgi {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

// Half-open: columns x0..x1-1, rows y0..y1-1. Empty when x1 <= x0 or y1 <= y0.
struct PixelRect {
  int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int64_t width() const { return x1 - x0; }
  int64_t height() const { return y1 - y0; }
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};

// A normalized box [x1, y1, x2, y2] (in [0, 1], (0, 0) top left) as the pixels it covers,
// with exactly CropNormalized's rounding so a drawn box frames its crop: coordinates
// clamped to [0, 1], corners swapped if reversed, begin = floor(v * size) clamped to
// [0, size - 1], end = ceil(v * size) clamped to [begin + 1, size] (at least one pixel).
// NaN coordinates are treated as 0. width, height > 0 (CORGI_CHECK).
PixelRect NormalizedToPixelRect(const std::array<double, 4>& box, int64_t width, int64_t height);

// The intersection of `rect` with the image bounds (possibly empty).
PixelRect ClipToImage(const PixelRect& rect, const RgbImage& image);

// Blends `color` over the pixel at (x, y) with coverage `alpha` (0 transparent .. 255
// opaque): out = (color * alpha + old * (255 - alpha) + 127) / 255, per channel.
// Out-of-bounds coordinates are ignored.
void BlendPixel(RgbImage* image, int64_t x, int64_t y, Rgb color, uint8_t alpha);

// Fills `rect` (clipped) with `color` at `alpha` (255 = opaque overwrite).
void FillRectangle(RgbImage* image, const PixelRect& rect, Rgb color, uint8_t alpha = 255);

// Draws the outline of `rect` `thickness` pixels wide, growing inward from its edges
// (the outer edge is exactly `rect`; a thickness covering the whole rectangle fills it).
// thickness <= 0 draws nothing. Opaque.
void DrawRectangle(RgbImage* image, const PixelRect& rect, Rgb color, int thickness);

}  // namespace corgi
