// smart_resize + resize + fused normalize + merge-block patchify (spec §3.2–3.4).
#include "corgi/image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace corgi {

VisionPreprocessParams VisionPreprocessParams::Qwen3Vl() { return VisionPreprocessParams(); }

VisionPreprocessParams VisionPreprocessParams::Qwen25Vl() {
  VisionPreprocessParams p;
  p.min_pixels = 3136;
  p.max_pixels = 12845056;
  p.patch_size = 14;
  p.image_mean = {0.48145466f, 0.4578275f, 0.40821073f};  // OpenAI CLIP
  p.image_std = {0.26862954f, 0.26130258f, 0.27577711f};
  return p;
}

Status ValidatePreprocessParams(const VisionPreprocessParams& p) {
  auto bad = [](const std::string& what) {
    return InvalidArgumentError("preprocess parameters: " + what);
  };
  if (p.patch_size <= 0 || p.patch_size > 1024) return bad("patch_size must be in 1..1024");
  if (p.merge_size <= 0 || p.merge_size > 64) return bad("merge_size must be in 1..64");
  if (p.temporal_patch_size <= 0 || p.temporal_patch_size > 64) {
    return bad("temporal_patch_size must be in 1..64");
  }
  if (p.min_pixels > kMaxResizePixels) {
    return bad("min_pixels " + std::to_string(p.min_pixels) + " is above the resize limit of " +
               std::to_string(kMaxResizePixels) + " (4096x4096)");
  }
  if (p.min_pixels < 0 || p.max_pixels <= 0 || p.min_pixels > p.max_pixels) {
    return bad("need 0 <= min_pixels <= max_pixels, got " + std::to_string(p.min_pixels) + ", " +
               std::to_string(p.max_pixels));
  }
  if (p.max_pixels > kMaxResizePixels) {
    return bad("max_pixels " + std::to_string(p.max_pixels) + " is above the resize limit of " +
               std::to_string(kMaxResizePixels) + " (4096x4096)");
  }
  if (p.do_resize && p.max_pixels < p.factor() * p.factor()) {
    return bad("max_pixels " + std::to_string(p.max_pixels) + " is below one merged patch (" +
               std::to_string(p.factor()) + "x" + std::to_string(p.factor()) +
               " = patch_size * merge_size squared), the smallest size smart_resize makes");
  }
  if (p.max_input_pixels <= 0 || p.max_input_pixels > kMaxDecodePixelsCap) {
    return bad("max_input_pixels must be in [1, " + std::to_string(kMaxDecodePixelsCap) + "]");
  }
  if (!(p.rescale_factor > 0) || !std::isfinite(p.rescale_factor)) {
    return bad("rescale_factor must be positive");
  }
  for (int c = 0; c < 3; ++c) {
    if (!(p.image_std[c] != 0.0f) || !std::isfinite(p.image_std[c]) ||
        !std::isfinite(p.image_mean[c])) {
      return bad("image_std must be non-zero and image_mean/std finite");
    }
  }
  return Status::Ok();
}

std::array<std::array<float, 256>, 3> NormalizationTable(const VisionPreprocessParams& p) {
  std::array<std::array<float, 256>, 3> table;
  // torch: tensor(mean, float32) * (1.0 / rescale_factor) multiplies in float32 with the
  // Python scalar rounded to float32 first; then tvF.normalize does sub_ then div_.
  const float inv_rescale = static_cast<float>(1.0 / p.rescale_factor);
  const float rescale = static_cast<float>(p.rescale_factor);
  for (int c = 0; c < 3; ++c) {
    const float mean_fused = p.image_mean[c] * inv_rescale;
    const float std_fused = p.image_std[c] * inv_rescale;
    for (int v = 0; v < 256; ++v) {
      const float x = static_cast<float>(v);
      table[c][v] = p.normalize == NormalizeMode::kFused
                        ? (x - mean_fused) / std_fused
                        : (x * rescale - p.image_mean[c]) / p.image_std[c];
    }
  }
  return table;
}

StatusOr<PreprocessedImage> NormalizeAndPatchify(const RgbImage& img,
                                                 const VisionPreprocessParams& p,
                                                 ThreadPool* pool) {
  CORGI_RETURN_IF_ERROR(ValidatePreprocessParams(p));
  const int64_t factor = p.factor();
  if (img.empty() || img.height % factor != 0 || img.width % factor != 0) {
    return InvalidArgumentError("patchify: image " + std::to_string(img.height) + "x" +
                                std::to_string(img.width) + " is not a non-empty multiple of " +
                                std::to_string(factor) + " (patch_size * merge_size)");
  }
  const int64_t P = p.patch_size, T = p.temporal_patch_size, m = p.merge_size;
  PreprocessedImage out;
  out.grid_h = img.height / P;
  out.grid_w = img.width / P;
  out.merge_size = m;
  out.patch_dim = 3 * T * P * P;
  out.original_height = out.resized_height = img.height;
  out.original_width = out.resized_width = img.width;
  out.pixel_values.resize(static_cast<size_t>(out.num_patches() * out.patch_dim));
  const auto table = NormalizationTable(p);
  const int64_t blocks_w = out.grid_w / m;
  auto fill = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      // r enumerates (by, bx, dy, dx) row-major.
      const int64_t dx = r % m, dy = (r / m) % m, block = r / (m * m);
      const int64_t gy = (block / blocks_w) * m + dy, gx = (block % blocks_w) * m + dx;
      float* row = &out.pixel_values[static_cast<size_t>(r * out.patch_dim)];
      for (int64_t c = 0; c < 3; ++c) {
        float* dst = row + c * T * P * P;
        for (int64_t py = 0; py < P; ++py) {
          const uint8_t* src = img.At(gy * P + py, gx * P) + c;
          for (int64_t px = 0; px < P; ++px) dst[py * P + px] = table[c][src[3 * px]];
        }
        for (int64_t t = 1; t < T; ++t) std::memcpy(dst + t * P * P, dst, P * P * sizeof(float));
      }
    }
  };
  const int64_t rows = out.num_patches();
  if (pool == nullptr || rows < 64) {
    fill(0, rows);
  } else {
    pool->ParallelFor(static_cast<size_t>(rows), [&](size_t b, size_t e, size_t) { fill(b, e); });
  }
  return out;
}

StatusOr<PreprocessPlan> PlanPreprocessSize(int64_t height, int64_t width,
                                            const VisionPreprocessParams& p) {
  CORGI_RETURN_IF_ERROR(ValidatePreprocessParams(p));
  if (height <= 0 || width <= 0) return InvalidArgumentError("preprocess: empty image");
  if (height > p.max_input_pixels || width > p.max_input_pixels ||
      height * width > p.max_input_pixels) {
    return OutOfRangeError("preprocess: " + std::to_string(height) + "x" + std::to_string(width) +
                           " is above max_input_pixels " + std::to_string(p.max_input_pixels));
  }
  PreprocessPlan plan;
  if (!p.do_resize) {
    if (height % p.factor() != 0 || width % p.factor() != 0) {
      return InvalidArgumentError("patchify: image " + std::to_string(height) + "x" +
                                  std::to_string(width) + " is not a non-empty multiple of " +
                                  std::to_string(p.factor()) + " (patch_size * merge_size)");
    }
    plan.resized_height = height;
    plan.resized_width = width;
  } else {
    CORGI_ASSIGN_OR_RETURN(ResizeTarget target,
                           SmartResize(height, width, p.factor(), p.min_pixels, p.max_pixels));
    plan.resized_height = target.height;
    plan.resized_width = target.width;
  }
  plan.grid_h = plan.resized_height / p.patch_size;
  plan.grid_w = plan.resized_width / p.patch_size;
  plan.merged_tokens = plan.grid_h * plan.grid_w / (p.merge_size * p.merge_size);
  return plan;
}

StatusOr<PreprocessPlan> PlanPreprocess(const RgbImage& image, const VisionPreprocessParams& p) {
  return PlanPreprocessSize(image.height, image.width, p);
}

JpegReduction JpegReductionFor(const VisionPreprocessParams& p) {
  JpegReduction r;
  r.enabled = p.do_resize;  // without a resize the decoded size is the model input
  r.factor = p.factor();
  r.min_pixels = p.min_pixels;
  r.max_pixels = p.max_pixels;
  r.margin = 2;
  return r;
}

namespace {

// `owned`, when non-null, is `decoded` itself, handed to the resize to release.
StatusOr<PreprocessedImage> Preprocess(const RgbImage& decoded, RgbImage* owned,
                                       int64_t full_height, int64_t full_width,
                                       const VisionPreprocessParams& p, ThreadPool* pool) {
  CORGI_ASSIGN_OR_RETURN(PreprocessPlan plan, PlanPreprocessSize(full_height, full_width, p));
  if (decoded.empty()) return InvalidArgumentError("preprocess: empty image");
  if (!p.do_resize && (decoded.height != full_height || decoded.width != full_width)) {
    return InvalidArgumentError("preprocess: a reduced image needs do_resize");
  }
  StatusOr<PreprocessedImage> out = InvalidArgumentError("preprocess: not run");
  if (plan.resized_height == decoded.height && plan.resized_width == decoded.width) {
    out = NormalizeAndPatchify(decoded, p, pool);  // already the target size: no copy
  } else {
    StatusOr<RgbImage> resized =
        owned != nullptr
            ? ResizeBicubic(std::move(*owned), plan.resized_height, plan.resized_width,
                            p.precision, pool)
            : ResizeBicubic(decoded, plan.resized_height, plan.resized_width, p.precision, pool);
    if (!resized.ok()) return resized.status();
    out = NormalizeAndPatchify(*resized, p, pool);
  }
  if (!out.ok()) return out.status();
  out->original_height = full_height;
  out->original_width = full_width;
  return out;
}

}  // namespace

StatusOr<PreprocessedImage> PreprocessReduced(const RgbImage& decoded, int64_t full_height,
                                              int64_t full_width, const VisionPreprocessParams& p,
                                              ThreadPool* pool) {
  return Preprocess(decoded, nullptr, full_height, full_width, p, pool);
}

StatusOr<PreprocessedImage> PreprocessReduced(RgbImage&& decoded, int64_t full_height,
                                              int64_t full_width, const VisionPreprocessParams& p,
                                              ThreadPool* pool) {
  return Preprocess(decoded, &decoded, full_height, full_width, p, pool);
}

StatusOr<PreprocessedImage> PreprocessImage(const RgbImage& image, const VisionPreprocessParams& p,
                                            ThreadPool* pool) {
  return PreprocessReduced(image, image.height, image.width, p, pool);
}

StatusOr<RgbImage> CropNormalized(const RgbImage& image, const std::array<double, 4>& box) {
  if (image.empty()) return InvalidArgumentError("crop: empty image");
  for (double v : box) {
    if (std::isnan(v)) return InvalidArgumentError("crop: box coordinate is NaN");
  }
  auto clamp01 = [](double v) { return std::clamp(v, 0.0, 1.0); };
  double x1 = clamp01(box[0]), y1 = clamp01(box[1]), x2 = clamp01(box[2]), y2 = clamp01(box[3]);
  if (x2 < x1) std::swap(x1, x2);
  if (y2 < y1) std::swap(y1, y2);
  // Outward rounding, then at least one pixel, kept inside the image.
  auto span = [](double lo, double hi, int64_t size, int64_t* begin, int64_t* end) {
    *begin = std::clamp<int64_t>(static_cast<int64_t>(std::floor(lo * size)), 0, size - 1);
    *end = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(hi * size)), *begin + 1, size);
  };
  int64_t left, right, top, bottom;
  span(x1, x2, image.width, &left, &right);
  span(y1, y2, image.height, &top, &bottom);
  RgbImage out = RgbImage::Make(bottom - top, right - left);
  for (int64_t y = top; y < bottom; ++y) {
    std::memcpy(out.At(y - top, 0), image.At(y, left), out.row_bytes());
  }
  return out;
}

}  // namespace corgi
