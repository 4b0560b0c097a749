// WebP decoding with libwebp's simple API (fancy upsampling, libwebp's default, as in
// Pillow's decoder). Animated files are refused: their first frame would need the demux
// library and compositing, and no model input needs them.
#include <webp/decode.h>

#include <cstring>
#include <string>

#include "image/decoders.h"

namespace corgi::image_internal {
namespace {

uint32_t ReadLe32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// Walks the RIFF chunks of an extended (VP8X) file for "EXIF"; 1 when there is none.
int WebpOrientation(const uint8_t* data, size_t size) {
  size_t pos = 12;  // "RIFF" size "WEBP"
  while (pos + 8 <= size) {
    uint32_t chunk_size = ReadLe32(data + pos + 4);
    size_t payload = pos + 8;
    if (chunk_size > size - payload) break;
    if (std::memcmp(data + pos, "EXIF", 4) == 0) {
      return ParseExifOrientation(data + payload, chunk_size);
    }
    pos = payload + chunk_size + (chunk_size & 1);
  }
  return 1;
}

const char* Vp8StatusText(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case VP8_STATUS_INVALID_PARAM:
      return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:
      return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "unsupported feature";
    case VP8_STATUS_SUSPENDED:
      return "suspended";
    case VP8_STATUS_USER_ABORT:
      return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "not enough data (truncated file)";
    default:
      return "unknown error";
  }
}

StatusOr<WebPBitstreamFeatures> Features(std::string_view bytes) {
  WebPBitstreamFeatures f;
  VP8StatusCode code =
      WebPGetFeatures(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &f);
  if (code != VP8_STATUS_OK)
    return DataLossError(std::string("corrupt WebP: ") + Vp8StatusText(code));
  if (f.has_animation) return UnimplementedError("animated WebP is not supported");
  return f;
}

}  // namespace

StatusOr<ImageInfo> ReadWebpInfo(std::string_view bytes) {
  CORGI_ASSIGN_OR_RETURN(WebPBitstreamFeatures f, Features(bytes));
  ImageInfo info;
  info.format = ImageFormat::kWebp;
  info.width = f.width;
  info.height = f.height;
  info.exif_orientation =
      WebpOrientation(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return info;
}

StatusOr<RgbImage> DecodeWebp(std::string_view bytes, int64_t max_pixels) {
  CORGI_ASSIGN_OR_RETURN(WebPBitstreamFeatures f, Features(bytes));
  CORGI_RETURN_IF_ERROR(CheckPixelBudget(f.width, f.height, max_pixels));
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (!f.has_alpha) {
    RgbImage image = RgbImage::Make(f.height, f.width);
    if (WebPDecodeRGBInto(data, bytes.size(), image.pixels.data(), image.pixels.size(),
                          static_cast<int>(image.row_bytes())) == nullptr) {
      return DataLossError("corrupt or truncated WebP image data");
    }
    return image;
  }
  // RGBA straight into the result's own buffer, then composited and compacted to RGB in
  // place (pixel i is read before bytes 3i..3i+2 are written, and 3i+2 < 4(i+1)).
  RgbImage image = MakeWideImage(f.height, f.width, 4);
  const size_t count = static_cast<size_t>(f.width) * f.height;
  uint8_t* px = image.pixels.data();
  if (WebPDecodeRGBAInto(data, bytes.size(), px, count * 4, f.width * 4) == nullptr) {
    return DataLossError("corrupt or truncated WebP image data");
  }
  for (size_t i = 0; i < count; ++i) {
    const uint8_t r = px[4 * i], g = px[4 * i + 1], b = px[4 * i + 2], a = px[4 * i + 3];
    px[3 * i] = CompositeOverWhite(r, a);
    px[3 * i + 1] = CompositeOverWhite(g, a);
    px[3 * i + 2] = CompositeOverWhite(b, a);
  }
  image.pixels.resize(3 * count);
  return image;
}

}  // namespace corgi::image_internal
