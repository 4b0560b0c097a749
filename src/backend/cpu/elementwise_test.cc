// Norms, activations, rotary, softmax and helpers: hand-computed values (so the reference
// itself is checked against arithmetic) and fast paths vs the reference on odd sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "backend/cpu/test_util.h"
#include "corgi/backend/ops.h"
#include "corgi/core/half.h"
#include "corgi/core/thread_pool.h"

namespace corgi::ops {
namespace {

using testing::MisalignedFloats;
using testing::RandomVector;
using testing::ScopedPath;
using testing::TestWeights;

TEST(NormTest, RmsNormHandComputed) {
  const float x[] = {3, 4};
  const float w[] = {1, 2};
  // mean(x²) = 12.5; 1/sqrt(12.5) = 0.2828427
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[2];
    RmsNorm(x, 2, 1, 2, TensorView(w, DType::kF32, Shape{2}), 0.0f, false, y, 2, nullptr);
    EXPECT_NEAR(y[0], 0.8485281f, 1e-6f) << KernelPathName(path);
    EXPECT_NEAR(y[1], 2.2627417f, 1e-6f);
    // bf16 rounding of the normalized value: 0.8485281 -> 0.84765625, 1.1313708 -> 1.1328125
    RmsNorm(x, 2, 1, 2, TensorView(w, DType::kF32, Shape{2}), 0.0f, true, y, 2, nullptr);
    EXPECT_EQ(y[0], 0.84765625f);
    EXPECT_EQ(y[1], 2.265625f);
  }
}

TEST(NormTest, RmsNormHeadsNormalizesEachHead) {
  // Two tokens, two heads of dim 2, row stride 5 (one padding float).
  float x[] = {3, 4, 1, 1, 99, 0, 2, -6, 8, 99};
  const uint16_t w[] = {F32ToBf16(1.0f), F32ToBf16(1.0f)};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[10];
    std::copy(std::begin(x), std::end(x), y);
    RmsNormHeads(y, 2, 2, 2, 5, TensorView(w, DType::kBF16, Shape{2}), 0.0f, false, nullptr);
    EXPECT_NEAR(y[0], 3 / std::sqrt(12.5f), 1e-6f);
    EXPECT_NEAR(y[2], 1.0f, 1e-6f);
    EXPECT_EQ(y[4], 99.0f);  // padding untouched
    EXPECT_NEAR(y[5], 0.0f, 1e-6f);
    EXPECT_NEAR(y[6], std::sqrt(2.0f), 1e-6f);
    EXPECT_NEAR(y[7], -6 / std::sqrt(50.0f), 1e-6f);
    EXPECT_EQ(y[9], 99.0f);
  }
}

TEST(NormTest, LayerNormHandComputed) {
  const float x[] = {1, 2, 3, 4};
  const float w[] = {2, 2, 2, 2};
  const float b[] = {1, 1, 1, -1};
  // mean 2.5, var 1.25, 1/sqrt(1.25) = 0.8944272
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[4];
    LayerNorm(x, 4, 1, 4, TensorView(w, DType::kF32, Shape{4}),
              TensorView(b, DType::kF32, Shape{4}), 0.0f, y, 4, nullptr);
    EXPECT_NEAR(y[0], 1 - 2 * 1.3416408f, 1e-6f) << KernelPathName(path);
    EXPECT_NEAR(y[1], 1 - 2 * 0.4472136f, 1e-6f);
    EXPECT_NEAR(y[2], 1 + 2 * 0.4472136f, 1e-6f);
    EXPECT_NEAR(y[3], -1 + 2 * 1.3416408f, 1e-6f);
  }
}

TEST(ActivationTest, KnownValues) {
  // Values from the closed forms in float64.
  const float x[] = {-3.0f, -1.0f, 0.0f, 1.0f, 2.0f};
  const float silu[] = {-0.14227761953270035f, -0.2689414213699951f, 0.0f, 0.7310585786300049f,
                        1.7615941559557646f};
  const float gelu_erf[] = {-0.004049694094890287f, -0.15865525393145707f, 0.0f,
                            0.8413447460685429f, 1.9544997361036416f};
  const float gelu_tanh[] = {-0.0036373920817729943f, -0.15880800939172324f, 0.0f,
                             0.8411919906082768f, 1.954597694087775f};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[5];
    Silu(x, y, 5, nullptr);
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i], silu[i], 2e-7f * (1 + std::fabs(silu[i])));
    GeluErf(x, y, 5, nullptr);
    for (int i = 0; i < 5; ++i)
      EXPECT_NEAR(y[i], gelu_erf[i], 3e-7f * (1 + std::fabs(gelu_erf[i])));
    GeluTanh(x, y, 5, nullptr);
    for (int i = 0; i < 5; ++i)
      EXPECT_NEAR(y[i], gelu_tanh[i], 3e-7f * (1 + std::fabs(gelu_tanh[i])));
    const float up[] = {2, 2, 2, 2, 2};
    SwiGlu(x, up, y, 5, nullptr);
    EXPECT_NEAR(y[3], 2 * 0.7310585786300049f, 1e-6f);
  }
}

TEST(ActivationTest, SoftmaxKnownVector) {
  const float x[] = {1, 2, 3};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[3];
    Softmax(x, y, 3);
    EXPECT_NEAR(y[0], 0.09003057317f, 1e-7f) << KernelPathName(path);
    EXPECT_NEAR(y[1], 0.24472847105f, 1e-7f);
    EXPECT_NEAR(y[2], 0.66524095577f, 1e-7f);
    const float big[] = {1000, 1000, -std::numeric_limits<float>::infinity()};
    Softmax(big, y, 3);  // max-subtracted: no overflow; −inf gets exactly 0
    EXPECT_FLOAT_EQ(y[0], 0.5f);
    EXPECT_EQ(y[2], 0.0f);
  }
}

// The bandwidth probe's sum: every value counted once, whatever the path, the split into
// streams and threads, or an n that leaves tails (small integers: the sums are exact).
TEST(ReadSumTest, SumsEveryValueOnce) {
  ThreadPool pool(2);
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{63}, int64_t{64 * 4 + 5}, int64_t{100003}}) {
    std::vector<float> x(static_cast<size_t>(n));
    double want = 0;
    for (int64_t i = 0; i < n; ++i) {
      x[i] = static_cast<float>(i % 7);
      want += x[i];
    }
    for (KernelPath path : testing::AllPaths()) {
      ScopedPath scope(path);
      EXPECT_EQ(ReadSum(x.data(), n, nullptr), want) << KernelPathName(path) << " n " << n;
      EXPECT_EQ(ReadSum(x.data(), n, &pool), want) << KernelPathName(path) << " n " << n;
    }
  }
}

TEST(RotaryTest, HandComputed) {
  // head_dim 4: slot 0 rotates by 90°, slot 1 by 0°.
  float x[] = {1, 2, 3, 4};
  const float cos[] = {0, 1}, sin[] = {1, 0};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[4] = {1, 2, 3, 4};
    ApplyRotary(y, 1, 1, 4, 4, cos, sin, nullptr);
    EXPECT_EQ(y[0], -3.0f);  // x0·cos − x2·sin
    EXPECT_EQ(y[1], 2.0f);
    EXPECT_EQ(y[2], 1.0f);  // x2·cos + x0·sin
    EXPECT_EQ(y[3], 4.0f);
  }
  (void)x;
}

TEST(MiscTest, ArgmaxEmbeddingConvert) {
  const float v[] = {1, std::nanf(""), 5, 5, -2};
  EXPECT_EQ(Argmax(v, 5), 2);
  EXPECT_EQ(Argmax(v, 0), -1);
  const uint16_t table[] = {F32ToBf16(1), F32ToBf16(2), F32ToBf16(3), F32ToBf16(4)};
  TensorView t(table, DType::kBF16, Shape{2, 2});
  const int32_t ids[] = {1, 0, 1};
  float out[6];
  ASSERT_TRUE(EmbeddingLookup(t, ids, 3, out, nullptr).ok());
  EXPECT_EQ(out[0], 3.0f);
  EXPECT_EQ(out[3], 2.0f);
  EXPECT_EQ(out[5], 4.0f);
  const int32_t bad[] = {0, 2};
  Status st = EmbeddingLookup(t, bad, 2, out, nullptr);
  EXPECT_FALSE(st.ok());
  const float src[] = {1.00390625f, -2.5f};  // 1 + 2^-8 is a bf16 tie: rounds to even (1.0)
  float rounded[2] = {src[0], src[1]};
  RoundToBf16(rounded, 2);
  EXPECT_EQ(rounded[0], 1.0f);
  EXPECT_EQ(rounded[1], -2.5f);
  uint16_t half[2];
  ConvertFromF32(src, 2, DType::kF16, half);
  float back[2];
  ConvertToF32(half, DType::kF16, 2, back);
  EXPECT_EQ(back[0], 1.00390625f);  // exact in f16 (10 mantissa bits)
  EXPECT_EQ(back[1], -2.5f);
}

// Fast path vs reference for one elementwise op on odd sizes at misaligned addresses.
void CompareUnary(const char* name, float range, float rel, float abs_tol,
                  const std::function<void(const float*, float*, int64_t)>& op) {
  for (int64_t n : {1, 3, 17, 67, 129, 100003}) {
    MisalignedFloats x(RandomVector(n, static_cast<uint32_t>(n), -range, range));
    MisalignedFloats ref(n), fast(n);
    {
      ScopedPath scope(KernelPath::kRef);
      op(x.data(), ref.data(), n);
    }
    for (KernelPath path : testing::FastPaths()) {
      ScopedPath scope(path);
      op(x.data(), fast.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(fast.data()[i], ref.data()[i], abs_tol + rel * std::fabs(ref.data()[i]))
            << name << " " << KernelPathName(path) << " n=" << n << " x=" << x.data()[i];
      }
    }
  }
}

TEST(FastVsRefTest, Elementwise) {
  ThreadPool pool(2);
  CompareUnary("silu", 20, 2e-6f, 1e-7f,
               [&](const float* x, float* y, int64_t n) { Silu(x, y, n, &pool); });
  CompareUnary("gelu_tanh", 10, 2e-6f, 1e-7f,
               [&](const float* x, float* y, int64_t n) { GeluTanh(x, y, n, &pool); });
  CompareUnary("gelu_erf", 10, 2e-6f, 1e-7f,
               [&](const float* x, float* y, int64_t n) { GeluErf(x, y, n, &pool); });
  std::vector<float> other = RandomVector(100003, 99);
  CompareUnary("swiglu", 10, 2e-6f, 1e-7f,
               [&](const float* x, float* y, int64_t n) { SwiGlu(x, other.data(), y, n, &pool); });
  CompareUnary("add", 10, 0, 0,
               [&](const float* x, float* y, int64_t n) { Add(x, other.data(), y, n, &pool); });
  CompareUnary("add_scaled", 10, 0, 0, [&](const float* x, float* y, int64_t n) {
    std::copy(other.begin(), other.begin() + n, y);
    AddScaled(x, -0.375f, y, n, &pool);
  });
  // The reference sums 100003 terms sequentially in float32: ~1e-5 relative error.
  CompareUnary("softmax", 30, 1e-4f, 1e-12f,
               [&](const float* x, float* y, int64_t n) { Softmax(x, y, n); });
}

TEST(FastVsRefTest, Norms) {
  ThreadPool pool(2);
  for (DType dt : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (int64_t d : {1, 3, 17, 67, 129, 1152}) {
      const int64_t m = 37, ld = d + 5;
      MisalignedFloats x(RandomVector(m * ld, 3, -4, 4));
      TestWeights w(dt, 0, d, 4), b(dt, 0, d, 5);
      for (int variant = 0; variant < 3; ++variant) {
        MisalignedFloats ref(m * ld), fast(m * ld);
        auto run = [&](float* y, ThreadPool* p) {
          if (variant == 2) {
            LayerNorm(x.data(), ld, m, d, w.view(), b.view(), 1e-6f, y, ld, p);
          } else {
            RmsNorm(x.data(), ld, m, d, w.view(), 1e-6f, variant == 1, y, ld, p);
          }
        };
        {
          ScopedPath scope(KernelPath::kRef);
          run(ref.data(), nullptr);
        }
        for (KernelPath path : testing::FastPaths()) {
          ScopedPath scope(path);
          run(fast.data(), &pool);
          for (int64_t r = 0; r < m; ++r) {
            for (int64_t i = 0; i < d; ++i) {
              const float e = ref.data()[r * ld + i], g = fast.data()[r * ld + i];
              // bf16 rounding may flip by one bf16 ulp where the normalized value sits on a
              // rounding boundary; the statistics themselves agree to ~1e-6.
              const float tol =
                  variant == 1 ? 8e-3f * std::fabs(e) + 1e-6f : 4e-6f * (1 + std::fabs(e));
              ASSERT_NEAR(g, e, tol) << KernelPathName(path) << " variant " << variant << " "
                                     << DTypeName(dt) << " d=" << d;
            }
          }
        }
      }
    }
  }
}

TEST(FastVsRefTest, Rotary) {
  ThreadPool pool(2);
  for (int64_t hd : {2, 64, 72, 128}) {
    const int64_t s = 19, heads = 3, ld = heads * hd + 7, half = hd / 2;
    std::vector<float> x0 = RandomVector(s * ld, 11);
    std::vector<float> angle = RandomVector(s * half, 12, -20, 20);
    std::vector<float> c(angle.size()), sn(angle.size());
    for (size_t i = 0; i < angle.size(); ++i) {
      c[i] = std::cos(angle[i]);
      sn[i] = std::sin(angle[i]);
    }
    MisalignedFloats ref(x0), fast(x0);
    {
      ScopedPath scope(KernelPath::kRef);
      ApplyRotary(ref.data(), s, heads, hd, ld, c.data(), sn.data(), nullptr);
    }
    for (KernelPath path : testing::FastPaths()) {
      ScopedPath scope(path);
      MisalignedFloats f(x0);
      ApplyRotary(f.data(), s, heads, hd, ld, c.data(), sn.data(), &pool);
      // Same multiplies and adds in the same order: bitwise equal.
      EXPECT_TRUE(testing::BitwiseEqual(f.data(), ref.data(), s * ld))
          << KernelPathName(path) << " hd " << hd;
    }
  }
}

}  // namespace
}  // namespace corgi::ops
