// The Qwen-VL image preprocessor: RGB image -> `pixel_values` + `grid_thw`, matching
// Hugging Face's Qwen2VLImageProcessorFast (the processor Qwen3-VL checkpoints name)
// bit for bit on the same decoded pixels (spec §3.2–3.4, docs/PREPROCESSING.md).
//
//   corgi::VisionPreprocessParams params = corgi::VisionPreprocessParams::Qwen3Vl();
//   CORGI_ASSIGN_OR_RETURN(corgi::RgbImage rgb, corgi::DecodeImageFile(path));
//   CORGI_ASSIGN_OR_RETURN(corgi::PreprocessedImage pre, corgi::PreprocessImage(rgb, params));
//   // pre.pixel_values: [pre.num_patches(), pre.patch_dim] float32, merge-block order
//
// The model layer maps a checkpoint's preprocessor_config.json onto VisionPreprocessParams.
// Thread-safety: pure functions; `pool` (may be null) must not be used concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/image/decode.h"
#include "corgi/image/image.h"
#include "corgi/image/resize.h"

namespace corgi {

// How uint8 pixels become floats (both in float32).
enum class NormalizeMode {
  // torchvision processor: mean and std pre-multiplied by 1/rescale_factor, then
  // (x - mean') / std'. For mean = std = 0.5 this is (x - 127.5) / 127.5.
  kFused,
  // Rescale first, then normalize: (x * rescale_factor - mean) / std. Used by
  // onnxruntime-extensions; differs from kFused in the last ulp on some values.
  kRescaleThenNormalize,
};

struct VisionPreprocessParams {
  // Area bounds for smart_resize (pixels, not tokens); both at most kMaxResizePixels, and
  // max_pixels at least factor()^2 (one merged patch, the smallest smart_resize output).
  int64_t min_pixels = 65536;
  int64_t max_pixels = 16777216;
  int64_t patch_size = 16;  // 16 for Qwen3-VL, 14 for Qwen2/2.5-VL
  int64_t temporal_patch_size = 2;
  int64_t merge_size = 2;
  std::array<float, 3> image_mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std = {0.5f, 0.5f, 0.5f};
  double rescale_factor = 1.0 / 255.0;
  bool do_resize = true;  // false: the image must already be a multiple of patch*merge
  ResamplePrecision precision = ResamplePrecision::kTorchvision;
  NormalizeMode normalize = NormalizeMode::kFused;
  // Decompression-bomb guard for the input image (also use it for DecodeOptions);
  // at most kMaxDecodePixelsCap.
  int64_t max_input_pixels = kDefaultMaxDecodePixels;

  // Hugging Face defaults for Qwen3-VL (patch 16, mean/std 0.5, 65536..16777216) and for
  // Qwen2.5-VL (patch 14, CLIP mean/std, 3136..12845056).
  static VisionPreprocessParams Qwen3Vl();
  static VisionPreprocessParams Qwen25Vl();
  int64_t factor() const { return patch_size * merge_size; }
};

// InvalidArgument naming the bad field (non-positive sizes, zero std, min > max, ...).
Status ValidatePreprocessParams(const VisionPreprocessParams& params);

struct PreprocessedImage {
  std::vector<float> pixel_values;  // [num_patches, patch_dim], merge-block row order
  int64_t grid_t = 1;               // one image = one temporal patch
  int64_t grid_h = 0;               // patches per column (resized_height / patch_size)
  int64_t grid_w = 0;
  int64_t patch_dim = 0;  // 3 * temporal_patch_size * patch_size^2
  int64_t merge_size = 2;
  int64_t original_height = 0;
  int64_t original_width = 0;
  int64_t resized_height = 0;
  int64_t resized_width = 0;

  int64_t num_patches() const { return grid_t * grid_h * grid_w; }
  // The number of <|image_pad|> tokens the prompt needs (rows after the merger).
  int64_t num_merged_tokens() const { return num_patches() / (merge_size * merge_size); }
};

// The model-input size PreprocessImage would produce, without touching pixels: what a
// caller needs to lay out placeholder tokens (or look up a cache) before deciding
// whether to preprocess at all. Same errors as PreprocessImage.
struct PreprocessPlan {
  int64_t resized_height = 0, resized_width = 0;
  int64_t grid_h = 0, grid_w = 0;  // patches
  int64_t merged_tokens = 0;       // grid_h * grid_w / merge_size²
};
StatusOr<PreprocessPlan> PlanPreprocess(const RgbImage& image, const VisionPreprocessParams& params);
// The same for an image of height x width that has not been decoded (yet, or at full size).
StatusOr<PreprocessPlan> PlanPreprocessSize(int64_t height, int64_t width,
                                            const VisionPreprocessParams& params);

// DecodeOptions::jpeg_reduction for these parameters: decode a JPEG reduced by 1/2, 1/4
// or 1/8 when that still leaves at least twice the smart_resize target in both
// dimensions. Pass the decoded image and DecodeReport's full size to PreprocessReduced.
// A documented trade-off (docs/PREPROCESSING.md): results are close to, not bit-exact
// with, the full-size path; leave jpeg_reduction off for HF parity.
JpegReduction JpegReductionFor(const VisionPreprocessParams& params);

// smart_resize -> bicubic resize -> normalize -> patchify. Errors: those of
// ValidatePreprocessParams and SmartResize, OutOfRange above max_input_pixels,
// InvalidArgument for an empty image (or, with do_resize false, a size that is not a
// multiple of patch_size*merge_size). The result is owned by the caller.
StatusOr<PreprocessedImage> PreprocessImage(const RgbImage& image,
                                            const VisionPreprocessParams& params,
                                            ThreadPool* pool = nullptr);

// PreprocessImage for an image decoded reduced (JpegReduction): smart_resize runs on the
// full size full_height x full_width (as HF would see the file), the resize reads the
// reduced `decoded`; original_height/width report the full size. With `decoded` at full
// size this is exactly PreprocessImage.
StatusOr<PreprocessedImage> PreprocessReduced(const RgbImage& decoded, int64_t full_height,
                                              int64_t full_width,
                                              const VisionPreprocessParams& params,
                                              ThreadPool* pool = nullptr);
// The same, consuming `decoded`: it is released during the resize, so the decoded image,
// the resized one and pixel_values are never all held at once (docs/PREPROCESSING.md,
// Memory). On error `decoded` may have been released.
StatusOr<PreprocessedImage> PreprocessReduced(RgbImage&& decoded, int64_t full_height,
                                              int64_t full_width,
                                              const VisionPreprocessParams& params,
                                              ThreadPool* pool = nullptr);

// Normalize + patchify an already-resized image (sides multiples of patch*merge).
// Row r of the result is the patch at grid (2*by+dy, 2*bx+dx) for r enumerating
// (by, bx, dy, dx) row-major (merge_size 2); inside a row, element
// c*T*P*P + t*P*P + py*P + px holds channel c of pixel (py, px), repeated for each t.
StatusOr<PreprocessedImage> NormalizeAndPatchify(const RgbImage& resized,
                                                 const VisionPreprocessParams& params,
                                                 ThreadPool* pool = nullptr);

// The 256 float values each uint8 level maps to, per channel ([3][256]); what
// NormalizeAndPatchify uses. Exposed for tests and for callers that normalize themselves.
std::array<std::array<float, 256>, 3> NormalizationTable(const VisionPreprocessParams& params);

// Crops `image` to the normalized box {x1, y1, x2, y2} (fractions of width/height).
// Coordinates are clamped to [0, 1] and swapped if reversed; the pixel rectangle is
// rounded outward — [floor(x1*W), ceil(x2*W)) — so it always contains the box, and is
// widened to at least 1x1. InvalidArgument for an empty image or a NaN coordinate.
StatusOr<RgbImage> CropNormalized(const RgbImage& image, const std::array<double, 4>& box);

}  // namespace corgi
