// Target-size selection (`smart_resize`) and antialiased bicubic resampling that
// reproduce the Qwen2-VL/Qwen3-VL image processors bit for bit (spec §3.2–3.3).
//
//   CORGI_ASSIGN_OR_RETURN(ResizeTarget t, SmartResize(h, w, 32, 65536, 16777216));
//   RgbImage small = ResizeBicubic(img, t.height, t.width, ResamplePrecision::kTorchvision, pool);
//
// Thread-safety: pure functions. ResizeBicubic uses `pool` (may be null) for its rows;
// the pool must not be in use by another ParallelFor at the same time.
#pragma once

#include <cstdint>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/image/image.h"

namespace corgi {

// The most pixels any resize may produce, and so the largest min_pixels/max_pixels a
// smart_resize accepts: 4096 x 4096, the largest bound a Qwen-VL checkpoint ships
// (Qwen3-VL's size.longest_edge). A model input that big is already ~400 MB of
// pixel_values; above it a tiny file with a huge min_pixels could demand gigabytes.
inline constexpr int64_t kMaxResizePixels = int64_t{1} << 24;

struct ResizeTarget {
  int64_t height = 0;
  int64_t width = 0;
};

// HF `smart_resize` (transformers v5): both sides multiples of `factor`, area within
// [min_pixels, max_pixels], aspect ratio kept. float64 math, Python round-half-to-even
// for the first rounding, floor (with a max(factor, ·) guard) when shrinking to
// max_pixels, ceil when growing to min_pixels.
// Errors: InvalidArgument for non-positive sizes/factor or min_pixels > max_pixels;
// OutOfRange when max(h,w)/min(h,w) > 200 (as HF raises), when min_pixels or max_pixels
// is above kMaxResizePixels, or when the target itself would be (the ceil when growing
// can overshoot min_pixels by a few rows).
StatusOr<ResizeTarget> SmartResize(int64_t height, int64_t width, int64_t factor,
                                   int64_t min_pixels, int64_t max_pixels);

// Fixed-point precision of the resampling weights, which decides a few ±1 pixels.
enum class ResamplePrecision {
  // torchvision `resize(uint8, BICUBIC, antialias=True)` on CPU (ATen's AVX2 uint8 path):
  // int16 weights with the largest per-axis precision <= 22 bits that fits; cubic
  // a = -0.5 evaluated in ATen's form. What Qwen2VLImageProcessorFast (the checkpoint's
  // processor) does.
  kTorchvision,
  // Pillow `Image.resize(..., BICUBIC)`: 22-bit int32 weights, Pillow's form of the
  // cubic. What the PIL processor and qwen-vl-utils do.
  kPillow,
};

// Antialiased bicubic (Keys, a = -0.5) resize with Pillow's geometry: separable,
// horizontal pass first, each pass rounding to uint8; an axis whose size does not
// change is copied, not filtered. out_height, out_width >= 1 and the input non-empty,
// else InvalidArgument. OutOfRange, before allocating, when the output or the
// intermediate (input height x output width) would exceed
// max(kMaxResizePixels, input pixels). Returns a new image owned by the caller.
StatusOr<RgbImage> ResizeBicubic(const RgbImage& image, int64_t out_height, int64_t out_width,
                                 ResamplePrecision precision, ThreadPool* pool = nullptr);
// The same, consuming `image`: its pixels are released as soon as the horizontal pass no
// longer needs them, so a large input and the full output are never held together.
StatusOr<RgbImage> ResizeBicubic(RgbImage&& image, int64_t out_height, int64_t out_width,
                                 ResamplePrecision precision, ThreadPool* pool = nullptr);

}  // namespace corgi
