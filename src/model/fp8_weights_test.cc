#include "corgi/model/fp8_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/fp8.h"
#include "corgi/core/half.h"
#include "corgi/core/quant_format.h"
#include "corgi/core/thread_pool.h"

namespace corgi {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Weights with a spread of magnitudes, so blocks have different scales.
std::vector<float> RandomWeights(int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(n * k));
  for (int64_t r = 0; r < n; ++r) {
    const float row_scale = std::ldexp(1.0f, static_cast<int>(r % 7) - 5);
    for (int64_t i = 0; i < k; ++i) w[r * k + i] = normal(rng) * row_scale;
  }
  return w;
}

// A weight quantized to FP8 with its scales, and views of both.
struct Fp8Tensor {
  int64_t n, k, bn, bk;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  TensorView weight() const { return TensorView(codes.data(), DType::kF8E4M3, Shape{n, k}); }
  TensorView scale() const { return TensorView(scales.data(), DType::kF32, Shape{CeilDiv(n, bn), CeilDiv(k, bk)}); }
};

Fp8Tensor Quantize(const std::vector<float>& w, int64_t n, int64_t k, int64_t bn, int64_t bk) {
  Fp8Tensor t{n, k, bn, bk, std::vector<uint8_t>(w.size()),
              std::vector<float>(static_cast<size_t>(CeilDiv(n, bn) * CeilDiv(k, bk)))};
  QuantizeToFp8(w.data(), n, k, bn, bk, t.codes.data(), t.scales.data());
  return t;
}

TEST(Fp8Weights, QuantizerUsesBlockAmaxOver448) {
  const int64_t n = 37, k = 300, bn = 16, bk = 128;  // partial blocks at both edges
  std::vector<float> w = RandomWeights(n, k, 1);
  for (int64_t r = 32; r < n; ++r) {  // an all-zero block: the last band, last block
    for (int64_t i = 256; i < k; ++i) w[r * k + i] = 0.0f;
  }
  Fp8Tensor t = Quantize(w, n, k, bn, bk);
  for (int64_t sr = 0; sr < CeilDiv(n, bn); ++sr) {
    for (int64_t sc = 0; sc < CeilDiv(k, bk); ++sc) {
      float amax = 0.0f;
      bool hits_max = false;
      for (int64_t r = sr * bn; r < std::min(n, (sr + 1) * bn); ++r) {
        for (int64_t i = sc * bk; i < std::min(k, (sc + 1) * bk); ++i) {
          amax = std::max(amax, std::fabs(w[r * k + i]));
          hits_max |= (t.codes[r * k + i] & 0x7f) == 0x7e;  // ±448
        }
      }
      const float scale = t.scales[sr * CeilDiv(k, bk) + sc];
      if (amax == 0.0f) {
        EXPECT_EQ(scale, 1.0f);
      } else {
        EXPECT_EQ(scale, amax / 448.0f) << sr << "," << sc;
        EXPECT_TRUE(hits_max) << sr << "," << sc;
      }
    }
  }
  for (size_t i = 0; i < w.size(); ++i) {
    const float s = t.scales[(i / k / bn) * CeilDiv(k, bk) + (i % k) / bk];
    EXPECT_EQ(t.codes[i], F32ToFp8E4M3Saturate(w[i] / s)) << i;
  }
}

TEST(Fp8Weights, DequantizeIsFp8TimesItsBlockScale) {
  const int64_t n = 37, k = 300;
  const std::vector<float> w = RandomWeights(n, k, 2);
  for (auto [bn, bk] : {std::pair<int64_t, int64_t>{128, 128}, {16, 32}, {5, 7}}) {
    Fp8Tensor t = Quantize(w, n, k, bn, bk);
    std::vector<float> out(w.size());
    ASSERT_TRUE(DequantizeFp8("w", t.weight(), t.scale(), bn, bk, out.data()).ok());
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t i = 0; i < k; ++i) {
        const float s = t.scales[(r / bn) * CeilDiv(k, bk) + i / bk];
        ASSERT_EQ(out[r * k + i], Fp8E4M3ToF32(t.codes[r * k + i]) * s) << r << "," << i;
        // And fp8 keeps 4 significant bits (subnormals: steps of 2^-9 · scale).
        EXPECT_LE(std::fabs(out[r * k + i] - w[r * k + i]), std::fabs(w[r * k + i]) / 16 + s * 0x1p-10f);
      }
    }
  }
}

TEST(Fp8Weights, ConvertsToQ8WithinItsBound) {
  const int64_t n = 37, k = 300, bn = 128, bk = 128;
  const Fp8Tensor t = Quantize(RandomWeights(n, k, 3), n, k, bn, bk);
  std::vector<float> ref(static_cast<size_t>(n * k));
  ASSERT_TRUE(DequantizeFp8("w", t.weight(), t.scale(), bn, bk, ref.data()).ok());

  std::vector<uint8_t> q8(static_cast<size_t>(quant::PackedBytes(DType::kQ8, n, k)));
  ASSERT_TRUE(ConvertFp8ToQ8("w", t.weight(), t.scale(), bn, bk, q8.data(), nullptr).ok());
  // Exactly the packing of the float reference: the conversion adds no error of its own.
  std::vector<uint8_t> direct(q8.size());
  ops::QuantizeWeights(TensorView(ref.data(), DType::kF32, Shape{n, k}), DType::kQ8, direct.data(), nullptr);
  EXPECT_EQ(q8, direct);

  // And within q8's bound per row and 32-input block: half a step of the f16 scale
  // absmax/127, or the clamp when that scale rounded down.
  const TensorView view(q8.data(), DType::kQ8, Shape{n, k});
  std::vector<float> row(static_cast<size_t>(k));
  double max_error = 0.0;
  for (int64_t r = 0; r < n; ++r) {
    ops::DequantizeRow(view, r, row.data());
    for (int64_t b = 0; b < k; b += quant::kBlockK) {
      const int64_t end = std::min(k, b + quant::kBlockK);
      float absmax = 0.0f;
      for (int64_t i = b; i < end; ++i) absmax = std::max(absmax, std::fabs(ref[r * k + i]));
      const float bound = absmax * (0.5f / 127.0f * 1.001f + 0x1p-11f);
      for (int64_t i = b; i < end; ++i) {
        const float error = std::fabs(row[i] - ref[r * k + i]);
        EXPECT_LE(error, bound) << r << "," << i;
        max_error = std::max(max_error, static_cast<double>(error));
      }
    }
  }
  EXPECT_GT(max_error, 0.0);  // q8 is coarser than fp8 × scale: the check can fail

  for (size_t threads : {2, 3}) {  // the bytes do not depend on the pool
    ThreadPool pool(threads);
    std::vector<uint8_t> parallel(q8.size());
    ASSERT_TRUE(ConvertFp8ToQ8("w", t.weight(), t.scale(), bn, bk, parallel.data(), &pool).ok());
    EXPECT_EQ(parallel, q8) << threads;
  }
}

TEST(Fp8Weights, AcceptsPerTensorAndBf16Scales) {
  const int64_t n = 20, k = 40;
  const std::vector<float> w = RandomWeights(n, k, 4);
  Fp8Tensor t = Quantize(w, n, k, n, k);  // one block = one per-tensor scale
  std::vector<float> blocked(w.size()), per_tensor(w.size()), bf16(w.size());
  ASSERT_TRUE(DequantizeFp8("w", t.weight(), t.scale(), n, k, blocked.data()).ok());
  for (const Shape& shape : {Shape{}, Shape{1}, Shape{1, 1}}) {
    const TensorView scale(t.scales.data(), DType::kF32, shape);
    ASSERT_TRUE(DequantizeFp8("w", t.weight(), scale, 0, 0, per_tensor.data()).ok()) << shape.ToString();
    EXPECT_EQ(per_tensor, blocked);
  }
  // A BF16 scale (Qwen3.5-style releases) reads as its float value.
  const uint16_t scale16 = F32ToBf16(t.scales[0]);
  t.scales[0] = Bf16ToF32(scale16);
  ASSERT_TRUE(DequantizeFp8("w", t.weight(), t.scale(), n, k, blocked.data()).ok());
  ASSERT_TRUE(DequantizeFp8("w", t.weight(), TensorView(&scale16, DType::kBF16, Shape{1, 1}), n, k, bf16.data()).ok());
  EXPECT_EQ(bf16, blocked);
}

void ExpectInvalid(const Status& s, const std::string& part) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("layers.0.mlp.up_proj.weight"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find(part), std::string::npos) << s.ToString();
}

TEST(Fp8Weights, RejectsMismatchedTensorsNamingThem) {
  const std::string name = "layers.0.mlp.up_proj.weight";
  const int64_t n = 37, k = 300;
  Fp8Tensor t = Quantize(RandomWeights(n, k, 5), n, k, 128, 128);
  std::vector<uint8_t> out(static_cast<size_t>(quant::PackedBytes(DType::kQ8, n, k)));
  auto convert = [&](const TensorView& w, const TensorView& s, int64_t bn, int64_t bk) {
    return ConvertFp8ToQ8(name, w, s, bn, bk, out.data(), nullptr);
  };
  ASSERT_TRUE(convert(t.weight(), t.scale(), 128, 128).ok());

  ExpectInvalid(convert(t.weight(), TensorView(t.scales.data(), DType::kF32, Shape{1, 2}), 128, 128),
                "expected [1, 3]");
  ExpectInvalid(convert(t.weight(), TensorView(t.scales.data(), DType::kF32, Shape{3}), 128, 128), "weight_scale_inv");
  ExpectInvalid(convert(t.weight(), t.scale(), 16, 128), "expected [3, 3]");
  ExpectInvalid(convert(t.weight(), t.scale(), 128, 0), "block size");
  ExpectInvalid(convert(t.weight(), t.scale(), 0, 0), "per-tensor");
  ExpectInvalid(convert(TensorView(t.codes.data(), DType::kU8, Shape{n, k}), t.scale(), 128, 128), "F8_E4M3");
  ExpectInvalid(convert(TensorView(t.codes.data(), DType::kF8E4M3, Shape{n * k}), t.scale(), 128, 128), "rank-2");
  ExpectInvalid(convert(t.weight(), TensorView(t.codes.data(), DType::kI8, Shape{1, 3}), 128, 128), "F32, BF16");

  t.scales[2] = std::numeric_limits<float>::infinity();
  ExpectInvalid(convert(t.weight(), t.scale(), 128, 128), "non-finite scale at index 2");
  t.scales[2] = 1.0f;
  t.codes[5 * k + 17] = 0xff;  // NaN
  ExpectInvalid(convert(t.weight(), t.scale(), 128, 128), "row 5");
  std::vector<float> ref(static_cast<size_t>(n * k));
  ExpectInvalid(DequantizeFp8(name, t.weight(), t.scale(), 128, 128, ref.data()), "row 5");
}

}  // namespace
}  // namespace corgi
