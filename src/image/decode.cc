// Format dispatch, the pixel budget, EXIF orientation (libexif) and its application.
#include "corgi/image/decode.h"

#include <libexif/exif-data.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "corgi/core/read_file.h"
#include "corgi/image/resize.h"
#include "image/decoders.h"

namespace corgi {

RgbImage RgbImage::Make(int64_t height, int64_t width) {
  CORGI_CHECK(height >= 0 && width >= 0) << "negative image size " << height << "x" << width;
  RgbImage image;
  image.height = height;
  image.width = width;
  image.pixels.assign(static_cast<size_t>(height) * static_cast<size_t>(width) * 3, 0);
  return image;
}

namespace image_internal {

Status CheckPixelBudget(int64_t width, int64_t height, int64_t max_pixels) {
  if (width <= 0 || height <= 0) {
    return DataLossError("image header declares an empty size " + std::to_string(width) + "x" +
                         std::to_string(height));
  }
  if (width * height > max_pixels) {
    return OutOfRangeError(
        "image is " + std::to_string(width) + "x" + std::to_string(height) + " = " +
        std::to_string(width * height) + " pixels, above the limit of " +
        std::to_string(max_pixels) +
        " (the decode limit, a decompression-bomb guard)");
  }
  return Status::Ok();
}

int JpegScaleDenominator(int64_t stored_height, int64_t stored_width, int orientation,
                         const DecodeOptions& options) {
  const JpegReduction& r = options.jpeg_reduction;
  if (!r.enabled || r.margin < 1 || stored_height <= 0 || stored_width <= 0) return 1;
  const bool swap = options.apply_exif_orientation && orientation >= 5 && orientation <= 8;
  StatusOr<ResizeTarget> target =
      SmartResize(swap ? stored_width : stored_height, swap ? stored_height : stored_width,
                  r.factor, r.min_pixels, r.max_pixels);
  if (!target.ok()) return 1;  // preprocessing will report the problem on the full size
  // The target in stored orientation, then the margin the reduced image must keep.
  const int64_t need_h = (swap ? target->width : target->height) * r.margin;
  const int64_t need_w = (swap ? target->height : target->width) * r.margin;
  for (int denom : {8, 4, 2}) {
    // libjpeg's reduced output size: ceil(size / denom).
    const int64_t h = (stored_height + denom - 1) / denom;
    const int64_t w = (stored_width + denom - 1) / denom;
    if (h >= need_h && w >= need_w) return denom;
  }
  return 1;
}

RgbImage MakeWideImage(int64_t height, int64_t width, int bytes_per_pixel) {
  RgbImage image;
  image.height = height;
  image.width = width;
  image.pixels.resize(static_cast<size_t>(height) * static_cast<size_t>(width) *
                      static_cast<size_t>(std::max(bytes_per_pixel, 3)));
  return image;
}

int ParseExifOrientation(const uint8_t* data, size_t size) {
  if (data == nullptr || size < 8 || size > (1u << 24)) return 1;
  std::string block;
  if (std::memcmp(data, "Exif\0\0", 6) != 0) block.assign("Exif\0\0", 6);  // PNG eXIf: bare TIFF
  block.append(reinterpret_cast<const char*>(data), size);
  ExifData* exif = exif_data_new_from_data(reinterpret_cast<const unsigned char*>(block.data()),
                                           static_cast<unsigned int>(block.size()));
  if (exif == nullptr) return 1;
  int orientation = 1;
  ExifEntry* entry = exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (entry != nullptr && entry->format == EXIF_FORMAT_SHORT && entry->components >= 1 &&
      entry->data != nullptr && entry->size >= 2) {
    int v = exif_get_short(entry->data, exif_data_get_byte_order(exif));
    if (v >= 1 && v <= 8) orientation = v;
  }
  exif_data_unref(exif);
  return orientation;
}

}  // namespace image_internal

const char* ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
    default:
      return "unknown";
  }
}

ImageFormat DetectImageFormat(std::string_view b) {
  if (b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0xFF && static_cast<uint8_t>(b[1]) == 0xD8 &&
      static_cast<uint8_t>(b[2]) == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return ImageFormat::kPng;
  }
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    return ImageFormat::kWebp;
  }
  return ImageFormat::kUnknown;
}

namespace {
Status UnknownFormat(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgumentError("empty image data");
  return UnimplementedError("unsupported image format (not JPEG, PNG or WebP by magic bytes)");
}
}  // namespace

StatusOr<ImageInfo> ReadImageInfo(std::string_view bytes) {
  switch (DetectImageFormat(bytes)) {
    case ImageFormat::kJpeg:
      return image_internal::ReadJpegInfo(bytes);
    case ImageFormat::kPng:
      return image_internal::ReadPngInfo(bytes);
    case ImageFormat::kWebp:
      return image_internal::ReadWebpInfo(bytes);
    default:
      return UnknownFormat(bytes);
  }
}

StatusOr<RgbImage> DecodeImage(std::string_view bytes, const DecodeOptions& options) {
  StatusOr<RgbImage> image = UnknownFormat(bytes);
  int scale_denominator = 1;
  switch (DetectImageFormat(bytes)) {
    case ImageFormat::kJpeg:
      image = image_internal::DecodeJpeg(bytes, options, &scale_denominator);
      break;
    case ImageFormat::kPng:
      image = image_internal::DecodePng(bytes, options.max_pixels);
      break;
    case ImageFormat::kWebp:
      image = image_internal::DecodeWebp(bytes, options.max_pixels);
      break;
    default:
      break;
  }
  if (!image.ok()) {
    if (image.status().code() != StatusCode::kOutOfRange) return image;
    // Only the pixel budget says OutOfRange; tell the user what to do about it.
    const std::string hint =
        options.limit_setting.empty()
            ? "; downscale the image"
            : "; downscale the image, or raise " + options.limit_setting + " (at most " +
                  std::to_string(kMaxDecodePixelsCap) + ") if the file is trusted";
    return OutOfRangeError(image.status().message() + hint);
  }
  CORGI_ASSIGN_OR_RETURN(ImageInfo info, ReadImageInfo(bytes));
  const int orientation = options.apply_exif_orientation ? info.exif_orientation : 1;
  if (options.report != nullptr) {
    const bool swap = orientation >= 5 && orientation <= 8;
    options.report->info = info;
    options.report->full_height = swap ? info.width : info.height;
    options.report->full_width = swap ? info.height : info.width;
    options.report->scale_denominator = scale_denominator;
  }
  if (orientation == 1) return image;
  return ApplyExifOrientation(*image, orientation);
}

StatusOr<RgbImage> DecodeImageFile(const std::string& path, const DecodeOptions& options) {
  StatusOr<std::string> bytes = ReadRegularFile(path, kMaxImageFileBytes, "");
  if (!bytes.ok()) return bytes.status();
  StatusOr<RgbImage> image = DecodeImage(*bytes, options);
  if (!image.ok()) return image.status().WithContext(path);
  return image;
}

RgbImage ApplyExifOrientation(const RgbImage& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const int64_t h = in.height, w = in.width;
  const bool swap = orientation >= 5;  // 5..8 exchange width and height
  RgbImage out = RgbImage::Make(swap ? w : h, swap ? h : w);
  for (int64_t y = 0; y < out.height; ++y) {
    for (int64_t x = 0; x < out.width; ++x) {
      int64_t sy = y, sx = x;  // source pixel, per Pillow's exif_transpose table
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;  // FLIP_LEFT_RIGHT
        case 3:
          sy = h - 1 - y;
          sx = w - 1 - x;
          break;  // ROTATE_180
        case 4:
          sy = h - 1 - y;
          break;  // FLIP_TOP_BOTTOM
        case 5:
          sy = x;
          sx = y;
          break;  // TRANSPOSE
        case 6:
          sy = h - 1 - x;
          sx = y;
          break;  // ROTATE_270 (90 clockwise)
        case 7:
          sy = h - 1 - x;
          sx = w - 1 - y;
          break;  // TRANSVERSE
        case 8:
          sy = x;
          sx = w - 1 - y;
          break;  // ROTATE_90 (90 counter-clockwise)
      }
      std::memcpy(out.At(y, x), in.At(sy, sx), 3);
    }
  }
  return out;
}

}  // namespace corgi
