// JPEG decoding with libjpeg(-turbo), configured as Pillow configures it (ISLOW IDCT,
// fancy upsampling — both libjpeg defaults, set explicitly so a future default change
// cannot move our pixels).
//
// libjpeg reports fatal errors through error_exit, which must not return; ours longjmps
// back to the decode function. Everything that owns memory (the output image) lives in
// the caller's frame, so the longjmp never skips a C++ destructor.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "image/decoders.h"

namespace corgi::image_internal {
namespace {

// A progressive JPEG with flipped bytes can declare thousands of scans and take minutes
// to decode; real files have a few dozen. libjpeg-turbo recommends such a limit.
constexpr int kMaxScans = 1000;

struct ErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int msg_code;
  bool premature_end;
};

[[noreturn]] void OnErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  err->msg_code = cinfo->err->msg_code;
  longjmp(err->jump, 1);
}

// Warnings (level -1) are silenced, except that running out of data is remembered:
// libjpeg would pad the image with gray, Pillow raises "image file is truncated".
void OnEmitMessage(j_common_ptr cinfo, int msg_level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->premature_end = true;
}

void OnProgress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof(err->message), "more than %d scans", kMaxScans);
    err->msg_code = -1;
    longjmp(err->jump, 1);
  }
}

// Pillow's CMYK -> RGB: channel = clip(nk - nk*ink/255) with nk = 255 - K, and inks are
// the inverted stored values (Pillow reads every CMYK JPEG as Adobe-inverted "CMYK;I").
inline uint8_t CmykChannel(uint32_t stored_ink, uint32_t stored_k) {
  uint32_t ink = 255 - stored_ink;
  uint32_t nk = stored_k;  // 255 - (255 - stored_k)
  uint32_t t = ink * nk + 128;
  uint32_t m = ((t >> 8) + t) >> 8;
  return static_cast<uint8_t>(nk > m ? nk - m : 0);
}

void ConvertRow(const uint8_t* in, int components, int64_t width, uint8_t* out) {
  for (int64_t x = 0; x < width; ++x, out += 3) {
    if (components == 1) {
      out[0] = out[1] = out[2] = in[x];
    } else if (components == 3) {
      std::memcpy(out, in + 3 * x, 3);
    } else {
      const uint8_t* p = in + 4 * x;
      out[0] = CmykChannel(p[0], p[3]);
      out[1] = CmykChannel(p[1], p[3]);
      out[2] = CmykChannel(p[2], p[3]);
    }
  }
}

int OrientationFromMarkers(j_decompress_ptr cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
        std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      return ParseExifOrientation(m->data, m->data_length);
    }
  }
  return 1;
}

// State shared between the setjmp frame and its caller; plain data only.
struct JpegJob {
  const uint8_t* data;
  size_t size;
  bool header_only;
  const DecodeOptions* options;  // null for a header-only read
  int scale_denominator;         // chosen from options->jpeg_reduction
  ImageInfo info;
  RgbImage* out;         // allocated by RunJpeg once the size is known and allowed
  Status* budget_error;  // set when the pixel budget refuses the image
  ErrorManager err;
  unsigned char* row;  // one scanline, malloc'd (freed by the caller)
  bool complete;       // every scanline was read
};

// Returns false on a libjpeg error (message in job->err) or a refused budget.
bool RunJpeg(JpegJob* job, jpeg_decompress_struct* cinfo, jpeg_progress_mgr* progress) {
  if (setjmp(job->err.jump) != 0) return false;
  jpeg_create_decompress(cinfo);
  cinfo->progress = progress;
  jpeg_mem_src(cinfo, job->data, static_cast<unsigned long>(job->size));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(cinfo, TRUE);
  job->info.format = ImageFormat::kJpeg;
  job->info.width = cinfo->image_width;
  job->info.height = cinfo->image_height;
  job->info.exif_orientation = OrientationFromMarkers(cinfo);
  if (job->header_only) return true;
  job->scale_denominator = JpegScaleDenominator(job->info.height, job->info.width,
                                                job->info.exif_orientation, *job->options);
  *job->budget_error =
      CheckPixelBudget(job->info.width, job->info.height, job->options->max_pixels);
  if (!job->budget_error->ok()) return false;

  // DCT-domain reduction: libjpeg-turbo decodes straight to 1/2, 1/4 or 1/8 of the size.
  cinfo->scale_num = 1;
  cinfo->scale_denom = static_cast<unsigned int>(job->scale_denominator);
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) {
    cinfo->out_color_space = JCS_CMYK;
  } else if (cinfo->jpeg_color_space == JCS_GRAYSCALE) {
    cinfo->out_color_space = JCS_GRAYSCALE;
  } else {
    cinfo->out_color_space = JCS_RGB;
  }
  jpeg_start_decompress(cinfo);
  *job->out = RgbImage::Make(cinfo->output_height, cinfo->output_width);
  job->row = static_cast<unsigned char*>(
      std::malloc(static_cast<size_t>(cinfo->output_width) * cinfo->output_components));
  if (job->row == nullptr) return false;
  while (cinfo->output_scanline < cinfo->output_height) {
    int64_t y = cinfo->output_scanline;
    JSAMPROW rows[1] = {job->row};
    if (jpeg_read_scanlines(cinfo, rows, 1) != 1) break;  // suspension: data ran out
    ConvertRow(job->row, cinfo->output_components, job->out->width, job->out->At(y, 0));
    if (job->err.premature_end) return true;
  }
  if (cinfo->output_scanline == cinfo->output_height) {
    // A missing EOI after the last scanline is harmless (Pillow accepts it too).
    job->complete = !job->err.premature_end;
    jpeg_finish_decompress(cinfo);
  }
  return true;
}

StatusOr<ImageInfo> RunJpegJob(std::string_view bytes, const DecodeOptions* options,
                               RgbImage* out, int* scale_denominator) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  std::memset(&cinfo, 0, sizeof(cinfo));
  std::memset(&progress, 0, sizeof(progress));
  Status budget;
  JpegJob job;
  std::memset(&job.err, 0, sizeof(job.err));
  job.data = reinterpret_cast<const uint8_t*>(bytes.data());
  job.size = bytes.size();
  const bool header_only = options == nullptr;
  job.header_only = header_only;
  job.options = options;
  job.scale_denominator = 1;
  job.out = out;
  job.budget_error = &budget;
  job.row = nullptr;
  job.complete = false;
  cinfo.err = jpeg_std_error(&job.err.pub);
  job.err.pub.error_exit = OnErrorExit;
  job.err.pub.emit_message = OnEmitMessage;
  progress.progress_monitor = OnProgress;

  bool ok = RunJpeg(&job, &cinfo, &progress);
  jpeg_destroy_decompress(&cinfo);
  std::free(job.row);
  if (!budget.ok()) return budget;
  if (!ok) {
    if (job.err.msg_code == JERR_BAD_PRECISION || job.err.msg_code == JERR_ARITH_NOTIMPL) {
      return UnimplementedError(std::string("unsupported JPEG: ") + job.err.message);
    }
    return DataLossError(std::string("corrupt JPEG: ") + job.err.message);
  }
  if (!header_only && !job.complete) {
    return DataLossError("truncated JPEG: the data ends before the last scanline");
  }
  if (scale_denominator != nullptr) *scale_denominator = job.scale_denominator;
  return job.info;
}

}  // namespace

StatusOr<ImageInfo> ReadJpegInfo(std::string_view bytes) {
  return RunJpegJob(bytes, /*options=*/nullptr, nullptr, nullptr);
}

StatusOr<RgbImage> DecodeJpeg(std::string_view bytes, const DecodeOptions& options,
                              int* scale_denominator) {
  RgbImage image;
  StatusOr<ImageInfo> info = RunJpegJob(bytes, &options, &image, scale_denominator);
  if (!info.ok()) return info.status();
  return image;
}

}  // namespace corgi::image_internal
