// PNG through libpng's simplified write API (no setjmp on our side: it reports failure
// through png_image.message); JPEG through libjpeg-turbo with a longjmp error manager,
// as in decode_jpeg.cc. Everything the JPEG path owns across the setjmp lives in a
// struct in the caller's frame, so a longjmp skips no destructor and leaks nothing.
#include "corgi/image/encode.h"

#include <png.h>

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

namespace corgi {
namespace {

Status CheckImage(const RgbImage& image) {
  if (image.height <= 0 || image.width <= 0) {
    return InvalidArgumentError("cannot encode an empty image (" + std::to_string(image.width) +
                                "x" + std::to_string(image.height) + ")");
  }
  if (image.pixels.size() != static_cast<size_t>(image.height * image.width * 3)) {
    return InvalidArgumentError(
        "image pixel buffer has " + std::to_string(image.pixels.size()) +
        " bytes, expected height*width*3 = " + std::to_string(image.height * image.width * 3));
  }
  return Status::Ok();
}

struct JpegErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnJpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

void OnJpegEmitMessage(j_common_ptr, int) {}  // warnings are not failures

// State that must survive a longjmp out of libjpeg.
struct JpegJob {
  jpeg_compress_struct cinfo;
  JpegErrorManager err;
  unsigned char* out = nullptr;  // malloc'd by jpeg_mem_dest; freed by the caller
  unsigned long out_size = 0;    // NOLINT(runtime/int): libjpeg's type
};

// Returns false on a libjpeg error (message in job->err).
bool RunJpeg(JpegJob* job, const RgbImage& image, int quality) {
  if (setjmp(job->err.jump) != 0) return false;
  jpeg_create_compress(&job->cinfo);
  jpeg_mem_dest(&job->cinfo, &job->out, &job->out_size);
  job->cinfo.image_width = static_cast<JDIMENSION>(image.width);
  job->cinfo.image_height = static_cast<JDIMENSION>(image.height);
  job->cinfo.input_components = 3;
  job->cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&job->cinfo);
  jpeg_set_quality(&job->cinfo, quality, TRUE);
  job->cinfo.dct_method = JDCT_ISLOW;
  jpeg_start_compress(&job->cinfo, TRUE);
  while (job->cinfo.next_scanline < job->cinfo.image_height) {
    // libjpeg takes non-const row pointers but does not write through them.
    JSAMPROW row = const_cast<JSAMPROW>(image.At(job->cinfo.next_scanline, 0));
    jpeg_write_scanlines(&job->cinfo, &row, 1);
  }
  jpeg_finish_compress(&job->cinfo);
  return true;
}

}  // namespace

StatusOr<std::string> EncodePng(const RgbImage& image) {
  CORGI_RETURN_IF_ERROR(CheckImage(image));
  constexpr int64_t kMaxSide = std::numeric_limits<int32_t>::max() / 3;  // row stride is int
  if (image.width > kMaxSide || image.height > std::numeric_limits<int32_t>::max()) {
    return OutOfRangeError("image too large for PNG: " + std::to_string(image.width) + "x" +
                           std::to_string(image.height));
  }
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  // One pass into a buffer sized for the worst case (stored blocks), then shrink: a
  // size-query pass first would compress the image twice.
  std::string out(PNG_IMAGE_PNG_SIZE_MAX(png), '\0');
  png_alloc_size_t size = out.size();
  const int ok =
      png_image_write_to_memory(&png, out.data(), &size, /*convert_to_8bit=*/0, image.pixels.data(),
                                static_cast<png_int_32>(image.row_bytes()), nullptr);
  if (ok == 0 || PNG_IMAGE_FAILED(png)) {
    std::string message = png.message;
    png_image_free(&png);
    return InternalError("libpng failed to encode a " + std::to_string(image.width) + "x" +
                         std::to_string(image.height) + " image: " + message);
  }
  png_image_free(&png);
  out.resize(size);
  return out;
}

StatusOr<std::string> EncodeJpeg(const RgbImage& image, int quality) {
  CORGI_RETURN_IF_ERROR(CheckImage(image));
  if (quality < 1 || quality > 100) {
    return InvalidArgumentError("JPEG quality must be in 1..100, got " + std::to_string(quality));
  }
  constexpr int64_t kJpegMaxSide = 65500;  // JPEG_MAX_DIMENSION
  if (image.width > kJpegMaxSide || image.height > kJpegMaxSide) {
    return OutOfRangeError("image too large for JPEG (max side 65500): " +
                           std::to_string(image.width) + "x" + std::to_string(image.height));
  }
  JpegJob job{};  // zeroed: jpeg_destroy_compress is safe even if create never ran
  job.cinfo.err = jpeg_std_error(&job.err.pub);
  job.err.pub.error_exit = OnJpegErrorExit;
  job.err.pub.emit_message = OnJpegEmitMessage;
  job.err.message[0] = '\0';
  const bool ok = RunJpeg(&job, image, quality);
  jpeg_destroy_compress(&job.cinfo);
  std::string out;
  if (ok && job.out != nullptr) out.assign(reinterpret_cast<const char*>(job.out), job.out_size);
  std::free(job.out);
  if (!ok) return InternalError(std::string("libjpeg failed to encode: ") + job.err.message);
  return out;
}

}  // namespace corgi
