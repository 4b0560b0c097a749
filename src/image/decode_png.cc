// PNG decoding with libpng, reproducing Pillow's PNG plugin + convert("RGB"/"RGBA"):
// palette and low-bit gray expanded (libpng's bit replication equals Pillow's x85/x17
// scaling), tRNS turned into alpha, 16-bit samples reduced to their high byte (Pillow's
// "RGB;16B"/"RGBA;16B"/"LA;16B" unpackers), except plain 16-bit gray, which Pillow opens
// as I;16 and clamps to 255 when converting to 8 bits. Gamma, sRGB and ICC chunks are
// ignored, as Pillow ignores them.
//
// libpng errors longjmp back to the setjmp in RunPng; owned memory (the row buffer and
// row pointers) lives in the caller's frame, so no destructor is skipped.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "image/decoders.h"

namespace corgi::image_internal {
namespace {

struct PngJob {
  const uint8_t* data;
  size_t size;
  size_t pos;
  bool header_only;
  int64_t max_pixels;
  ImageInfo info;
  Status* budget_error;
  RgbImage* out;              // the result, allocated once the size is known and allowed
  std::vector<uint8_t>* row;  // one decoded row (non-interlaced files)
  std::vector<png_bytep>* row_ptrs;
  int channels;   // 1..4 after transforms
  int bit_depth;  // 8 or 16 after transforms
  char message[256];
};

void OnPngError(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", msg);
  png_longjmp(png, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}  // warnings are not failures

void OnPngRead(png_structp png, png_bytep out, png_size_t length) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (length > job->size - job->pos) png_error(png, "unexpected end of data (truncated file)");
  std::memcpy(out, job->data + job->pos, length);
  job->pos += length;
}

// Returns the number of passes (7 for Adam7 interlacing, else 1).
int SetTransforms(png_structp png, png_infop info, int color_type, int bit_depth) {
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  // Plain 16-bit gray keeps 16 bits so it can be clamped the way Pillow's I;16 is.
  if (bit_depth == 16 && color_type != PNG_COLOR_TYPE_GRAY) png_set_strip_16(png);
  return png_set_interlace_handling(png);
}

inline uint8_t Sample(const uint8_t* p, int index, int bit_depth, bool clamp16) {
  if (bit_depth == 8) return p[index];
  uint32_t v = (static_cast<uint32_t>(p[2 * index]) << 8) | p[2 * index + 1];
  return clamp16 ? static_cast<uint8_t>(v > 255 ? 255 : v) : static_cast<uint8_t>(v >> 8);
}

// One decoded pixel `p` (channels c, bit depth 8 or 16) to RGB at `o`. Reads all of `p`
// before writing, so `o` may overlap `p` (in-place compaction).
inline void PixelToRgb(const uint8_t* p, int c, int bit_depth, uint8_t* o) {
  uint8_t r, g, b;
  if (c <= 2) {  // gray; 16-bit gray is clamped, its alpha (from tRNS) is 0 or max
    uint8_t v = Sample(p, 0, bit_depth, /*clamp16=*/true);
    if (c == 2) v = CompositeOverWhite(v, Sample(p, 1, bit_depth, false));
    r = g = b = v;
  } else {
    r = Sample(p, 0, bit_depth, false);
    g = Sample(p, 1, bit_depth, false);
    b = Sample(p, 2, bit_depth, false);
    if (c == 4) {
      const uint8_t a = Sample(p, 3, bit_depth, false);
      r = CompositeOverWhite(r, a);
      g = CompositeOverWhite(g, a);
      b = CompositeOverWhite(b, a);
    }
  }
  o[0] = r;
  o[1] = g;
  o[2] = b;
}

// Interlaced files: libpng needs the whole image at once. It is decoded into the result's
// own buffer (sized for the wider of the two layouts) and compacted to RGB in place —
// forwards when a decoded pixel is at least 3 bytes, backwards when it is smaller, so
// no pixel is overwritten before it is read.
void CompactToRgbInPlace(RgbImage* image, int c, int bit_depth) {
  const size_t bpp = static_cast<size_t>(c) * (bit_depth / 8);
  const size_t count = static_cast<size_t>(image->height) * static_cast<size_t>(image->width);
  uint8_t* data = image->pixels.data();
  if (bpp >= 3) {
    for (size_t i = 0; i < count; ++i) PixelToRgb(data + i * bpp, c, bit_depth, data + 3 * i);
  } else {
    for (size_t i = count; i-- > 0;) PixelToRgb(data + i * bpp, c, bit_depth, data + 3 * i);
  }
  image->pixels.resize(3 * count);
}

// Returns false on a libpng error (message in job) or a refused budget.
bool RunPng(PngJob* job, png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_set_read_fn(png, job, OnPngRead);
  // Our own budget check below is the real guard; lift libpng's 1M-per-side default.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);
  job->info.format = ImageFormat::kPng;
  job->info.width = png_get_image_width(png, info);
  job->info.height = png_get_image_height(png, info);
  png_uint_32 exif_size = 0;
  png_bytep exif = nullptr;
  if (png_get_eXIf_1(png, info, &exif_size, &exif) != 0 && exif != nullptr) {
    job->info.exif_orientation = ParseExifOrientation(exif, exif_size);
  }
  if (job->header_only) return true;
  *job->budget_error = CheckPixelBudget(job->info.width, job->info.height, job->max_pixels);
  if (!job->budget_error->ok()) return false;

  const int passes =
      SetTransforms(png, info, png_get_color_type(png, info), png_get_bit_depth(png, info));
  png_read_update_info(png, info);
  job->channels = png_get_channels(png, info);
  job->bit_depth = png_get_bit_depth(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  const size_t height = static_cast<size_t>(job->info.height);
  const int bpp = job->channels * (job->bit_depth / 8);
  if (passes == 1) {
    // Row by row straight into the result: no full-size staging buffer.
    *job->out = RgbImage::Make(job->info.height, job->info.width);
    job->row->resize(row_bytes);
    for (size_t y = 0; y < height; ++y) {
      png_read_row(png, job->row->data(), nullptr);
      uint8_t* o = job->out->At(static_cast<int64_t>(y), 0);
      for (int64_t x = 0; x < job->info.width; ++x, o += 3) {
        PixelToRgb(job->row->data() + x * bpp, job->channels, job->bit_depth, o);
      }
    }
  } else {
    *job->out = MakeWideImage(job->info.height, job->info.width, bpp);
    job->row_ptrs->resize(height);
    for (size_t y = 0; y < height; ++y) {
      (*job->row_ptrs)[y] = job->out->pixels.data() + y * row_bytes;
    }
    png_read_image(png, job->row_ptrs->data());
  }
  // No png_read_end: like Pillow, chunks after the image data (or a missing IEND) are
  // not an error once every row has been decoded.
  return true;
}

StatusOr<ImageInfo> RunPngJob(std::string_view bytes, bool header_only, int64_t max_pixels,
                              RgbImage* out) {
  Status budget;
  RgbImage image;
  std::vector<uint8_t> row;
  std::vector<png_bytep> row_ptrs;
  PngJob job{};
  job.data = reinterpret_cast<const uint8_t*>(bytes.data());
  job.size = bytes.size();
  job.header_only = header_only;
  job.max_pixels = max_pixels;
  job.budget_error = &budget;
  job.out = &image;
  job.row = &row;
  job.row_ptrs = &row_ptrs;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, OnPngError, OnPngWarning);
  if (png == nullptr) return ResourceExhaustedError("libpng: cannot create read struct");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return ResourceExhaustedError("libpng: cannot create info struct");
  }
  bool ok = RunPng(&job, png, info);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!budget.ok()) return budget;
  if (!ok) return DataLossError(std::string("corrupt PNG: ") + job.message);
  if (!header_only) {
    if (!row_ptrs.empty()) CompactToRgbInPlace(&image, job.channels, job.bit_depth);
    *out = std::move(image);
  }
  return job.info;
}

}  // namespace

StatusOr<ImageInfo> ReadPngInfo(std::string_view bytes) {
  return RunPngJob(bytes, /*header_only=*/true, 0, nullptr);
}

StatusOr<RgbImage> DecodePng(std::string_view bytes, int64_t max_pixels) {
  RgbImage image;
  StatusOr<ImageInfo> info = RunPngJob(bytes, /*header_only=*/false, max_pixels, &image);
  if (!info.ok()) return info.status();
  return image;
}

}  // namespace corgi::image_internal
