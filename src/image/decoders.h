// Private to the image layer: one decoder per format, each returning 8-bit RGB with
// transparency already composited over white, plus the shared helpers they use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/status.h"
#include "corgi/image/decode.h"
#include "corgi/image/image.h"

namespace corgi::image_internal {

// Header-only reads: format, stored size and EXIF orientation (1 when absent).
StatusOr<ImageInfo> ReadJpegInfo(std::string_view bytes);
StatusOr<ImageInfo> ReadPngInfo(std::string_view bytes);
StatusOr<ImageInfo> ReadWebpInfo(std::string_view bytes);

// Full decodes. Each checks width*height against max_pixels before allocating, and
// writes the RGB result straight into the returned image (no full-size staging copy,
// except the RGBA buffer an interlaced PNG or a WebP with alpha needs, which is the
// returned image's own storage, compacted in place).
// DecodeJpeg honours options.jpeg_reduction and sets *scale_denominator (1, 2, 4, 8).
StatusOr<RgbImage> DecodeJpeg(std::string_view bytes, const DecodeOptions& options,
                              int* scale_denominator);
StatusOr<RgbImage> DecodePng(std::string_view bytes, int64_t max_pixels);
StatusOr<RgbImage> DecodeWebp(std::string_view bytes, int64_t max_pixels);

// The JPEG scale denominator (1, 2, 4 or 8) for a stored size, an EXIF orientation and
// the options (see JpegReduction): 1 when reduction is off or would come too close to
// the model's target size.
int JpegScaleDenominator(int64_t stored_height, int64_t stored_width, int orientation,
                         const DecodeOptions& options);

// An RgbImage whose pixel buffer holds `bytes_per_pixel` (>= 3) bytes per pixel, for a
// decoder that writes a wider layout first and compacts it to RGB in place.
RgbImage MakeWideImage(int64_t height, int64_t width, int bytes_per_pixel);

// OutOfRange when width*height exceeds max_pixels; DataLoss for a zero dimension.
Status CheckPixelBudget(int64_t width, int64_t height, int64_t max_pixels);

// The EXIF Orientation (1..8) of an EXIF block; 1 when absent or malformed. `data`
// may start with "Exif\0\0" (JPEG APP1, WebP) or directly with the TIFF header (PNG eXIf).
int ParseExifOrientation(const uint8_t* data, size_t size);

// Pillow's alpha_composite of (v, alpha) over opaque white, per channel, in its integer
// arithmetic (7 fractional bits, divide-by-255 by shifts). Exact for all 65536 inputs.
inline uint8_t CompositeOverWhite(uint32_t v, uint32_t alpha) {
  if (alpha == 0) return 255;
  // coef1 = alpha*128 and coef2 = (255-alpha)*128 because the background is opaque.
  uint32_t tmp = 128 * (v * alpha + 255 * (255 - alpha)) + (0x80 << 7);
  return static_cast<uint8_t>(((((tmp >> 8) + tmp) >> 8)) >> 7);
}

}  // namespace corgi::image_internal
