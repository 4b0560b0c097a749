// Encoding an RgbImage to PNG (libpng) or JPEG (libjpeg-turbo), in memory. The pipeline
// writes the original, the annotated image and the crops with these, and the HTML report
// embeds the bytes as data URIs.
//
//   corgi::StatusOr<std::string> png = corgi::EncodePng(img);
//   if (png.ok()) WriteFileAtomically("annotated.png", *png);
//
// PNG is lossless: DecodeImage(EncodePng(img)) reproduces img exactly. JPEG is 4:2:0
// (libjpeg's default for RGB input), baseline, ISLOW DCT.
//
// All functions are thread-safe (no shared state) and never abort on bad input.
#pragma once

#include <string>

#include "corgi/core/status.h"
#include "corgi/image/image.h"

namespace corgi {

// Encodes `image` as an 8-bit RGB PNG. The returned bytes are owned by the caller.
// Errors: InvalidArgument (empty image, or pixels.size() != height * width * 3),
// OutOfRange (a side above 2^31 - 1), Internal (libpng failed).
StatusOr<std::string> EncodePng(const RgbImage& image);

// Encodes `image` as a baseline JPEG at `quality` (1..100; libjpeg's scale). The
// returned bytes are owned by the caller. Errors: InvalidArgument (empty or inconsistent
// image, quality outside 1..100), OutOfRange (a side above 65500, JPEG's limit),
// Internal (libjpeg failed).
StatusOr<std::string> EncodeJpeg(const RgbImage& image, int quality);

}  // namespace corgi
