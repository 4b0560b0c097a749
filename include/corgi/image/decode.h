// Decoding JPEG, PNG and WebP files into 8-bit RGB, matching what Pillow + Hugging Face
// `convert_to_rgb` hand to the Qwen-VL image processor (see docs/PREPROCESSING.md):
//   * format from magic bytes, never from the file name;
//   * JPEG through libjpeg-turbo with Pillow's defaults (ISLOW IDCT, fancy upsampling);
//     CMYK/YCCK JPEGs are treated as Adobe-inverted and converted as Pillow does;
//   * PNG through libpng: 1/2/4/8/16-bit, gray, gray+alpha, palette, tRNS; 16-bit samples
//     keep their high byte (Pillow's "RGB;16B" unpacking) except 16-bit gray, which
//     Pillow clamps (I;16 -> L: min(v, 255)); we do the same;
//   * WebP through libwebp (lossy, lossless, alpha; the first frame of an animation);
//   * transparency is composited over opaque white with Pillow's alpha_composite
//     integer arithmetic;
//   * EXIF orientation is applied by default (the one deliberate difference from HF,
//     which feeds the unrotated pixels to the model); turn it off for bit parity.
//
//   corgi::StatusOr<corgi::RgbImage> img = corgi::DecodeImageFile("photo.jpg");
//
// All functions are thread-safe (no shared state) and never abort on bad input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "corgi/core/status.h"
#include "corgi/image/image.h"

namespace corgi {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp };

const char* ImageFormatName(ImageFormat format);  // "jpeg", "png", "webp", "unknown"

// Looks only at the leading magic bytes.
ImageFormat DetectImageFormat(std::string_view bytes);

// What the header says, without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int64_t width = 0;  // as stored, before EXIF orientation
  int64_t height = 0;
  int exif_orientation = 1;  // 1..8; 1 when absent or unreadable
};

// The default decompression-bomb guard (Pillow's MAX_IMAGE_PIXELS is 89478485 and warns;
// Pillow errors at 2x that, and so do we) and the most any setting may raise it to.
inline constexpr int64_t kDefaultMaxDecodePixels = 178956970;
inline constexpr int64_t kMaxDecodePixelsCap = int64_t{1} << 30;

// Reduced-size JPEG decoding: libjpeg-turbo's DCT scaling by 1/2, 1/4 or 1/8, which never
// materializes the full-size image. The decoder computes the SmartResize target of the
// (EXIF-oriented) full-size image for [min_pixels, max_pixels] and `factor`, then picks the
// smallest scale whose output is still at least `margin` times that target in both
// dimensions; the exact bicubic resize then goes from the reduced image to the target.
// It changes pixels (see docs/PREPROCESSING.md for how much), so it is off by default;
// VisionPreprocessParams' JpegReductionFor turns it on for a preprocessing run.
struct JpegReduction {
  bool enabled = false;
  int64_t factor = 32;  // patch_size * merge_size
  int64_t min_pixels = 65536;
  int64_t max_pixels = 16777216;
  int64_t margin = 2;  // >= 1; 2 keeps every reduced side at least twice the target's
};

// What DecodeImage found out besides the pixels.
struct DecodeReport {
  ImageInfo info;             // the header: full size as stored, EXIF orientation
  int64_t full_height = 0;    // the size at scale 1 after EXIF orientation (when applied)
  int64_t full_width = 0;
  int scale_denominator = 1;  // 1, 2, 4 or 8: the JPEG reduction that was used
};

struct DecodeOptions {
  // Rotate/flip per the EXIF Orientation tag (1..8). HF does not; see the header comment.
  bool apply_exif_orientation = true;
  // Decompression-bomb guard: width*height above this is refused with OutOfRange after
  // reading only the header, before any pixel buffer is allocated. Applies to the full
  // size, also when a JPEG is decoded reduced.
  int64_t max_pixels = kDefaultMaxDecodePixels;
  // The setting that changes max_pixels, named in the OutOfRange message so the user
  // knows what to raise (e.g. "image.max_decode_pixels"); empty: the message only says
  // to downscale the image.
  std::string limit_setting;
  JpegReduction jpeg_reduction;
  // When non-null, receives the DecodeReport of a successful decode (caller-owned).
  DecodeReport* report = nullptr;
};

// Reads the header (and the EXIF orientation) of an in-memory file.
// Errors: InvalidArgument (empty input), Unimplemented (not JPEG/PNG/WebP),
// DataLoss (corrupt or truncated header).
StatusOr<ImageInfo> ReadImageInfo(std::string_view bytes);

// Decodes an in-memory file to RGB. Errors: InvalidArgument (empty), Unimplemented
// (unknown format or an unsupported variant such as 12-bit JPEG), OutOfRange (more
// pixels than options.max_pixels), DataLoss (corrupt or truncated data — a JPEG that
// ends early is an error, not a gray-filled image as libjpeg would produce).
// The returned image is owned by the caller. Peak memory: about 3 bytes per pixel of the
// decoded image (4 for an interlaced PNG or a WebP with alpha), plus a few rows.
StatusOr<RgbImage> DecodeImage(std::string_view bytes, const DecodeOptions& options = {});

// Largest image file DecodeImageFile reads (the pixel guard above bounds the decoded size).
inline constexpr int64_t kMaxImageFileBytes = int64_t{256} << 20;

// Reads `path` into memory (read(), never mmap: a file truncated while mapped would raise
// SIGBUS) and decodes it. Adds the file's errors (read_file.h: NotFound, IoError for a
// symlink loop or a file that changed while read, InvalidArgument for a FIFO or directory,
// ResourceExhausted above kMaxImageFileBytes); messages carry the path. Never blocks on a FIFO.
StatusOr<RgbImage> DecodeImageFile(const std::string& path, const DecodeOptions& options = {});

// Applies an EXIF orientation (1..8) to `image`, as Pillow's ImageOps.exif_transpose.
// Values outside 1..8 leave the image unchanged. Returns a new image.
RgbImage ApplyExifOrientation(const RgbImage& image, int orientation);

}  // namespace corgi
