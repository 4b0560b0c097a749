// corgi preprocess: decode an image and turn it into the model's pixel_values exactly as
// the Qwen-VL processor would, printing sizes, grid, token count and timings.
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "apps/cli/npy.h"
#include "corgi/core/thread_pool.h"
#include "corgi/engine/prompt.h"
#include "corgi/image/decode.h"
#include "corgi/image/preprocess.h"
#include "corgi/io/checkpoint_configs.h"
#include "corgi/model/preprocess_params.h"

namespace corgi::cli {
namespace {

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The checkpoint's preprocessor_config.json mapped onto the image layer's parameters. The
// file sets every field in which the families' defaults differ (patch size, pixel bounds,
// mean and std), so the base only supplies what no family changes.
StatusOr<VisionPreprocessParams> ParamsFromModel(const std::string& dir) {
  CORGI_ASSIGN_OR_RETURN(PreprocessorConfig c,
                         LoadPreprocessorConfig(dir + "/preprocessor_config.json"));
  return PreprocessParamsFor(c, VisionPreprocessParams::Qwen3Vl());
}

}  // namespace

int RunPreprocess(int argc, char** argv) {
  FlagParser flags(
      "corgi preprocess --image PATH [-m DIR] [--out FILE] [flags]",
      "Decode an image and preprocess it as the model sees it (HF Qwen2VLImageProcessorFast):\n"
      "with -m, by the checkpoint's preprocessor_config.json (any model family); without,\n"
      "Qwen3-VL's defaults (patch 16, the pixel bounds below).");
  std::string* image = flags.String("image", "", "image file (JPEG, PNG or WebP)", "PATH");
  int64_t* min_pixels = flags.Int("min-pixels", 65536, "smart_resize lower area bound (at most 16777216)");
  int64_t* max_pixels = flags.Int("max-pixels", 16777216, "smart_resize upper area bound (at most 16777216)");
  int64_t* max_decode_pixels = flags.Int("max-decode-pixels", kDefaultMaxDecodePixels,
                                         "refuse images with more pixels (decompression-bomb guard, at most 2^30)");
  bool* exact_decode = flags.Bool("exact-decode",
                                  "decode JPEGs at full size even when far larger than the model input "
                                  "(bit parity with HF; slower, more memory)");
  std::string* model = AddModelFlag(&flags, "checkpoint dir (or OWNER/NAME): read preprocessor_config.json");
  std::string* out = flags.String("out", "", "write pixel_values [N, 3*T*P*P] float32 as .npy", "FILE");
  bool* json = flags.Bool("json", "print JSON");
  bool* no_exif = flags.Bool("no-exif", "do not apply EXIF orientation (exact HF parity)");
  bool* pil = flags.Bool("pil", "resample with Pillow's 22-bit weights instead of torchvision's");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: CORGI_THREADS or all cores)");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (!ResolveModelFlag(model)) return 1;
  if (image->empty() && !flags.positional().empty()) *image = flags.positional()[0];
  if (image->empty()) {
    std::fprintf(stderr, "corgi preprocess: --image is required\n");
    flags.PrintUsage();
    return 2;
  }

  VisionPreprocessParams params;
  if (!model->empty()) {
    StatusOr<VisionPreprocessParams> p = ParamsFromModel(*model);
    if (!p.ok()) {
      std::fprintf(stderr, "corgi preprocess: %s\n", p.status().ToString().c_str());
      return 1;
    }
    params = *p;
  }
  if (model->empty() || flags.WasSet("min-pixels")) params.min_pixels = *min_pixels;
  if (model->empty() || flags.WasSet("max-pixels")) params.max_pixels = *max_pixels;
  if (*pil) params.precision = ResamplePrecision::kPillow;
  params.max_input_pixels = *max_decode_pixels;
  // Bad bounds are usage errors, reported before the image is even read.
  if (Status valid = ValidatePreprocessParams(params); !valid.ok()) {
    std::fprintf(stderr, "corgi preprocess: --min-pixels/--max-pixels/--max-decode-pixels: %s\n",
                 valid.message().c_str());
    return 2;
  }
  StatusOr<std::unique_ptr<ThreadPool>> created = ThreadPool::Create(static_cast<size_t>(*threads));
  if (!created.ok()) {
    std::fprintf(stderr, "corgi preprocess: %s\n", created.status().ToString().c_str());
    return 1;
  }
  ThreadPool& pool = **created;

  DecodeOptions decode;
  decode.apply_exif_orientation = !*no_exif;
  decode.max_pixels = params.max_input_pixels;
  decode.limit_setting = "--max-decode-pixels";
  if (!*exact_decode) decode.jpeg_reduction = JpegReductionFor(params);
  DecodeReport report;
  decode.report = &report;
  auto t0 = std::chrono::steady_clock::now();
  StatusOr<RgbImage> rgb = DecodeImageFile(*image, decode);
  const double decode_ms = MillisSince(t0);
  if (!rgb.ok()) {
    std::fprintf(stderr, "corgi preprocess: %s\n", rgb.status().ToString().c_str());
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  // The decoded image is consumed: released during the resize (peak memory).
  const int64_t decoded_height = rgb->height, decoded_width = rgb->width;
  StatusOr<PreprocessedImage> pre = PreprocessReduced(std::move(*rgb), report.full_height,
                                                      report.full_width, params, &pool);
  const double preprocess_ms = MillisSince(t1);
  if (!pre.ok()) {
    std::fprintf(stderr, "corgi preprocess: %s\n", pre.status().ToString().c_str());
    return 1;
  }
  if (!out->empty()) {
    Status s = WriteNpyF32(*out, pre->pixel_values.data(), {pre->num_patches(), pre->patch_dim});
    if (!s.ok()) {
      std::fprintf(stderr, "corgi preprocess: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (*json) {
    nlohmann::json j = {
        {"image", *image},
        {"original", {{"height", pre->original_height}, {"width", pre->original_width}}},
        {"decoded", {{"height", decoded_height}, {"width", decoded_width}}},
        {"jpeg_scale_denominator", report.scale_denominator},
        {"resized", {{"height", pre->resized_height}, {"width", pre->resized_width}}},
        {"grid_thw", {pre->grid_t, pre->grid_h, pre->grid_w}},
        {"patches", pre->num_patches()},
        {"patch_dim", pre->patch_dim},
        {"merged_tokens", pre->num_merged_tokens()},
        {"timing_ms", {{"decode", decode_ms}, {"preprocess", preprocess_ms}}}};
    if (!out->empty()) j["out"] = *out;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("image          %s\n", image->c_str());
    std::printf("original       %lld x %lld (h x w)\n",
                static_cast<long long>(pre->original_height),
                static_cast<long long>(pre->original_width));
    if (report.scale_denominator != 1) {
      std::printf("decoded        %lld x %lld (JPEG reduced 1/%d; --exact-decode for full size)\n",
                  static_cast<long long>(decoded_height), static_cast<long long>(decoded_width),
                  report.scale_denominator);
    }
    std::printf("resized        %lld x %lld\n", static_cast<long long>(pre->resized_height),
                static_cast<long long>(pre->resized_width));
    std::printf("grid_thw       [%lld, %lld, %lld]\n", static_cast<long long>(pre->grid_t),
                static_cast<long long>(pre->grid_h), static_cast<long long>(pre->grid_w));
    std::printf("patches        %lld x %lld\n", static_cast<long long>(pre->num_patches()),
                static_cast<long long>(pre->patch_dim));
    std::printf("merged tokens  %lld\n", static_cast<long long>(pre->num_merged_tokens()));
    std::printf("time           decode %.2f ms, preprocess %.2f ms\n", decode_ms, preprocess_ms);
    if (!out->empty()) std::printf("wrote          %s\n", out->c_str());
  }
  return 0;
}

}  // namespace corgi::cli
