// smart_resize and the antialiased bicubic resampler (spec §3.2–3.3).
//
// The resampler follows Pillow's Resample.c geometry, which torchvision's uint8 antialias
// kernel (ATen UpSampleKernel / UpSampleKernelAVXAlgos) reproduces; the two differ only
// in the fixed-point precision of the weights and in how the cubic is written down, so
// both are parameters here rather than two implementations.
#include "corgi/image/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace corgi {
namespace {

// Sides above this are no image (and would overflow height * width).
constexpr int64_t kMaxSide = int64_t{1} << 31;

// Python's round() on a float: ties go to the even integer.
double RoundHalfToEven(double x) {
  double r = std::floor(x);
  double diff = x - r;
  if (diff > 0.5) return r + 1.0;
  if (diff < 0.5) return r;
  return std::fmod(r, 2.0) == 0.0 ? r : r + 1.0;
}

constexpr double kCubicA = -0.5;

// The same Keys cubic written as each library writes it; the floating-point results
// can differ in the last bit, which can move a quantized weight by one.
double CubicAten(double x) {
  x = std::abs(x);
  const double a = kCubicA;
  if (x < 1.0) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2.0) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

double CubicPillow(double x) {
  if (x < 0.0) x = -x;
  const double a = kCubicA;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Fixed-point filter taps for one axis: output i reads input [first[i], first[i]+count[i]).
struct AxisFilter {
  int64_t ksize = 0;
  int precision = 0;             // fractional bits of `weights`
  std::vector<int64_t> first;    // [out]
  std::vector<int64_t> count;    // [out]
  std::vector<int32_t> weights;  // [out, ksize]
};

AxisFilter BuildAxisFilter(int64_t in_size, int64_t out_size, ResamplePrecision precision) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;  // bicubic support 2, widened when shrinking
  const double inv = 1.0 / filterscale;
  AxisFilter f;
  f.ksize = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  f.first.resize(out_size);
  f.count.resize(out_size);
  std::vector<double> w(static_cast<size_t>(out_size * f.ksize), 0.0);
  double w_max = 0.0;
  const bool aten = precision == ResamplePrecision::kTorchvision;
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size);
    int64_t n = std::clamp<int64_t>(hi - lo, 0, f.ksize);  // ATen's guard against a rare +1
    double* wi = &w[i * f.ksize];
    double total = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      double arg = (static_cast<double>(j + lo) - center + 0.5) * inv;
      wi[j] = aten ? CubicAten(arg) : CubicPillow(arg);
      total += wi[j];
    }
    if (total != 0.0) {
      for (int64_t j = 0; j < n; ++j) {
        wi[j] /= total;
        w_max = std::max(w_max, wi[j]);
      }
    }
    f.first[i] = lo;
    f.count[i] = n;
  }
  if (aten) {
    // ATen: the largest precision <= 22 whose biggest weight still fits int16.
    int p = 0;
    for (; p < 22; ++p) {
      if (static_cast<int>(0.5 + w_max * static_cast<double>(1 << (p + 1))) >= (1 << 15)) break;
    }
    f.precision = p;
  } else {
    f.precision = 22;  // Pillow's PRECISION_BITS = 32 - 8 - 2
  }
  f.weights.resize(w.size());
  const double one = static_cast<double>(1 << f.precision);
  for (size_t k = 0; k < w.size(); ++k) {
    double v = w[k] * one;
    f.weights[k] = v < 0 ? static_cast<int32_t>(-0.5 + v) : static_cast<int32_t>(0.5 + v);
  }
  return f;
}

inline uint8_t Clamp8(int32_t acc, int precision) {
  int32_t v = acc >> precision;  // arithmetic shift, as both libraries do
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

void ForRows(ThreadPool* pool, int64_t rows, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool == nullptr || rows < 16) {
    fn(0, rows);
    return;
  }
  pool->ParallelFor(static_cast<size_t>(rows),
                    [&](size_t begin, size_t end, size_t) { fn(begin, end); });
}

RgbImage ResampleHorizontal(const RgbImage& in, int64_t out_w, ResamplePrecision precision,
                            ThreadPool* pool) {
  const AxisFilter f = BuildAxisFilter(in.width, out_w, precision);
  RgbImage out = RgbImage::Make(in.height, out_w);
  const int32_t bias = 1 << (f.precision - 1);
  ForRows(pool, in.height, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y) {
      const uint8_t* row = in.At(y, 0);
      uint8_t* o = out.At(y, 0);
      for (int64_t x = 0; x < out_w; ++x, o += 3) {
        const int32_t* k = &f.weights[x * f.ksize];
        const uint8_t* p = row + f.first[x] * 3;
        int32_t r = bias, g = bias, b = bias;
        for (int64_t j = 0; j < f.count[x]; ++j, p += 3) {
          r += p[0] * k[j];
          g += p[1] * k[j];
          b += p[2] * k[j];
        }
        o[0] = Clamp8(r, f.precision);
        o[1] = Clamp8(g, f.precision);
        o[2] = Clamp8(b, f.precision);
      }
    }
  });
  return out;
}

RgbImage ResampleVertical(const RgbImage& in, int64_t out_h, ResamplePrecision precision,
                          ThreadPool* pool) {
  const AxisFilter f = BuildAxisFilter(in.height, out_h, precision);
  RgbImage out = RgbImage::Make(out_h, in.width);
  const int32_t bias = 1 << (f.precision - 1);
  const size_t n = in.row_bytes();
  ForRows(pool, out_h, [&](int64_t y0, int64_t y1) {
    std::vector<int32_t> acc(n);  // one output row; rows of input stream through it
    for (int64_t y = y0; y < y1; ++y) {
      std::fill(acc.begin(), acc.end(), bias);
      const int32_t* k = &f.weights[y * f.ksize];
      for (int64_t j = 0; j < f.count[y]; ++j) {
        const uint8_t* p = in.At(f.first[y] + j, 0);
        const int32_t kj = k[j];
        for (size_t i = 0; i < n; ++i) acc[i] += p[i] * kj;
      }
      uint8_t* o = out.At(y, 0);
      for (size_t i = 0; i < n; ++i) o[i] = Clamp8(acc[i], f.precision);
    }
  });
  return out;
}

}  // namespace

StatusOr<ResizeTarget> SmartResize(int64_t height, int64_t width, int64_t factor,
                                   int64_t min_pixels, int64_t max_pixels) {
  if (height <= 0 || width <= 0 || factor <= 0) {
    return InvalidArgumentError("smart_resize: height, width and factor must be positive, got " +
                                std::to_string(height) + "x" + std::to_string(width) + ", factor " +
                                std::to_string(factor));
  }
  if (min_pixels < 0 || max_pixels <= 0 || min_pixels > max_pixels) {
    return InvalidArgumentError("smart_resize: need 0 <= min_pixels <= max_pixels, got " +
                                std::to_string(min_pixels) + ", " + std::to_string(max_pixels));
  }
  if (max_pixels > kMaxResizePixels || min_pixels > kMaxResizePixels) {
    return OutOfRangeError("smart_resize: min_pixels " + std::to_string(min_pixels) +
                           " / max_pixels " + std::to_string(max_pixels) +
                           " above the resize limit of " + std::to_string(kMaxResizePixels) +
                           " pixels (4096x4096); lower them");
  }
  if (height > kMaxSide || width > kMaxSide || factor > kMaxSide) {
    return OutOfRangeError("smart_resize: " + std::to_string(height) + "x" +
                           std::to_string(width) + " (factor " + std::to_string(factor) +
                           ") has a side above " + std::to_string(kMaxSide));
  }
  const double h = static_cast<double>(height), w = static_cast<double>(width);
  const double f = static_cast<double>(factor);
  if (std::max(h, w) / std::min(h, w) > 200) {
    return OutOfRangeError("smart_resize: aspect ratio " +
                           std::to_string(std::max(h, w) / std::min(h, w)) + " of a " +
                           std::to_string(height) + "x" + std::to_string(width) +
                           " image is above 200; crop or pad it first");
  }
  int64_t h_bar = static_cast<int64_t>(RoundHalfToEven(h / f)) * factor;
  int64_t w_bar = static_cast<int64_t>(RoundHalfToEven(w / f)) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta =
        std::sqrt(static_cast<double>(height * width) / static_cast<double>(max_pixels));
    h_bar = std::max(factor, static_cast<int64_t>(std::floor(h / beta / f)) * factor);
    w_bar = std::max(factor, static_cast<int64_t>(std::floor(w / beta / f)) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta =
        std::sqrt(static_cast<double>(min_pixels) / static_cast<double>(height * width));
    h_bar = static_cast<int64_t>(std::ceil(h * beta / f)) * factor;
    w_bar = static_cast<int64_t>(std::ceil(w * beta / f)) * factor;
  }
  if (h_bar <= 0 || w_bar <= 0) {
    return InvalidArgumentError("smart_resize: " + std::to_string(height) + "x" +
                                std::to_string(width) +
                                " rounds to an empty size; raise min_pixels");
  }
  if (h_bar > kMaxResizePixels || w_bar > kMaxResizePixels ||
      h_bar * w_bar > kMaxResizePixels) {
    return OutOfRangeError("smart_resize: the target " + std::to_string(h_bar) + "x" +
                           std::to_string(w_bar) + " is above the resize limit of " +
                           std::to_string(kMaxResizePixels) + " pixels; lower min_pixels");
  }
  return ResizeTarget{h_bar, w_bar};
}

namespace {

// `owned`, when non-null, is `image` itself, released after the horizontal pass.
StatusOr<RgbImage> Resize(const RgbImage& image, RgbImage* owned, int64_t out_height,
                          int64_t out_width, ResamplePrecision precision, ThreadPool* pool) {
  if (image.empty() || out_height < 1 || out_width < 1) {
    return InvalidArgumentError("resize: cannot resize " + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + " to " + std::to_string(out_height) +
                                "x" + std::to_string(out_width));
  }
  const int64_t allowed = std::max(kMaxResizePixels, image.height * image.width);
  if (out_height > allowed || out_width > allowed || out_height * out_width > allowed ||
      (out_width != image.width && image.height * out_width > allowed)) {
    return OutOfRangeError("resize: " + std::to_string(image.height) + "x" +
                           std::to_string(image.width) + " to " + std::to_string(out_height) +
                           "x" + std::to_string(out_width) + " is above the resize limit of " +
                           std::to_string(allowed) + " pixels");
  }
  const int64_t in_height = image.height;
  if (out_width == image.width) {
    if (out_height != in_height) return ResampleVertical(image, out_height, precision, pool);
    if (owned != nullptr) return std::move(*owned);
    return image;
  }
  RgbImage horizontal = ResampleHorizontal(image, out_width, precision, pool);
  if (owned != nullptr) *owned = RgbImage();  // `image` is no longer read
  if (out_height == in_height) return horizontal;
  return ResampleVertical(horizontal, out_height, precision, pool);
}

}  // namespace

StatusOr<RgbImage> ResizeBicubic(const RgbImage& image, int64_t out_height, int64_t out_width,
                                 ResamplePrecision precision, ThreadPool* pool) {
  return Resize(image, nullptr, out_height, out_width, precision, pool);
}

StatusOr<RgbImage> ResizeBicubic(RgbImage&& image, int64_t out_height, int64_t out_width,
                                 ResamplePrecision precision, ThreadPool* pool) {
  return Resize(image, &image, out_height, out_width, precision, pool);
}

}  // namespace corgi
