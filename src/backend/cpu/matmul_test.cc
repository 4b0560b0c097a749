// MatMul: hand-computed cases, fast paths vs the scalar reference on odd sizes and
// misaligned buffers for every weight dtype, and bitwise batch invariance per path.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backend/cpu/ref/ref_kernels.h"
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

const DType kWeightTypes[] = {DType::kF32, DType::kBF16, DType::kF16};

TEST(MatMulTest, HandComputed2x3) {
  // x = [[1,2,3],[4,5,6]], W = [[1,0,-1],[2,1,0]], b = [0.5,-1]  (all exact in bf16/f16)
  const float x[] = {1, 2, 3, 4, 5, 6};
  const float w32[] = {1, 0, -1, 2, 1, 0};
  const float b32[] = {0.5f, -1.0f};
  const float expected[] = {1 - 3 + 0.5f, 2 + 2 - 1, 4 - 6 + 0.5f, 8 + 5 - 1};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    for (DType dt : kWeightTypes) {
      std::vector<uint8_t> w(6 * DTypeSize(dt)), b(2 * DTypeSize(dt));
      ConvertFromF32(w32, 6, dt, w.data());
      ConvertFromF32(b32, 2, dt, b.data());
      float y[4] = {};
      MatMul(x, 2, TensorView(w.data(), dt, Shape{2, 3}), TensorView(b.data(), dt, Shape{2}), y,
             nullptr);
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(y[i], expected[i]) << KernelPathName(path) << " " << DTypeName(dt) << " " << i;
      }
      float y_nobias[4] = {};
      MatMul(x, 2, TensorView(w.data(), dt, Shape{2, 3}), {}, y_nobias, nullptr);
      EXPECT_EQ(y_nobias[3], 13.0f);
    }
  }
}

TEST(MatMulTest, F32BiasWithBf16Weights) {
  const float x[] = {2};
  const uint16_t w[] = {F32ToBf16(3.0f)};
  const float b[] = {0.25f};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y = 0;
    MatMul(x, 1, TensorView(w, DType::kBF16, Shape{1, 1}), TensorView(b, DType::kF32, Shape{1}), &y,
           nullptr);
    EXPECT_EQ(y, 6.25f);
  }
}

// Every fast path against the reference on awkward sizes, with row strides and
// misaligned pointers.
TEST(MatMulTest, FastPathsMatchReference) {
  const int64_t sizes_m[] = {1, 3, 5, 17, 67};
  const int64_t sizes_n[] = {1, 3, 17, 129};
  const int64_t sizes_k[] = {1, 3, 17, 67, 129};
  ThreadPool pool(2);
  uint32_t seed = 1;
  for (DType dt : kWeightTypes) {
    for (int64_t n : sizes_n) {
      for (int64_t k : sizes_k) {
        TestWeights w(dt, n, k, ++seed);
        TestWeights bias(DType::kF32, 0, n, ++seed);
        for (int64_t m : sizes_m) {
          const int64_t ldx = k + 3, ldy = n + 2;
          MisalignedFloats x(RandomVector(m * ldx, ++seed));
          MisalignedFloats y_ref(m * ldy), y_fast(m * ldy);
          const TensorView b = (n % 2 == 1) ? bias.view() : TensorView();
          {
            ScopedPath scope(KernelPath::kRef);
            MatMul(x.data(), ldx, m, w.view(), b, y_ref.data(), ldy, nullptr);
          }
          for (KernelPath path : testing::FastPaths()) {
            ScopedPath scope(path);
            MatMul(x.data(), ldx, m, w.view(), b, y_fast.data(), ldy, &pool);
            for (int64_t r = 0; r < m; ++r) {
              for (int64_t c = 0; c < n; ++c) {
                float magnitude = 0;
                for (int64_t i = 0; i < k; ++i) {
                  magnitude += std::fabs(x.data()[r * ldx + i] * w.values()[c * k + i]);
                }
                const float tol = 4e-6f * magnitude + 1e-6f;
                ASSERT_NEAR(y_fast.data()[r * ldy + c], y_ref.data()[r * ldy + c], tol)
                    << KernelPathName(path) << " " << DTypeName(dt) << " m=" << m << " n=" << n
                    << " k=" << k << " at (" << r << "," << c << ")";
              }
            }
          }
        }
      }
    }
  }
}

// y for one row equals that row inside a 37-row batch, bitwise, for 1 and 2 threads and
// every dtype; sizes are large enough that the pool really splits the work.
TEST(MatMulTest, BatchInvariant) {
  const int64_t m = 37, n = 150, k = 611;
  ThreadPool pool2(2);
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    for (DType dt : kWeightTypes) {
      TestWeights w(dt, n, k, 7);
      TestWeights bias(dt, 0, n, 8);
      std::vector<float> x = RandomVector(m * k, 9);
      std::vector<float> batch(m * n);
      MatMul(x.data(), m, w.view(), bias.view(), batch.data(), nullptr);
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
        std::vector<float> batch_t(m * n);
        MatMul(x.data(), m, w.view(), bias.view(), batch_t.data(), pool);
        EXPECT_TRUE(testing::BitwiseEqual(batch.data(), batch_t.data(), m * n));
        for (int64_t r : {int64_t{0}, int64_t{5}, m - 1}) {
          MisalignedFloats row(std::vector<float>(x.begin() + r * k, x.begin() + (r + 1) * k));
          std::vector<float> single(n);
          MatMul(row.data(), 1, w.view(), bias.view(), single.data(), pool);
          EXPECT_TRUE(testing::BitwiseEqual(single.data(), batch.data() + r * n, n))
              << KernelPathName(path) << " " << DTypeName(dt) << " row " << r;
        }
        // Every prefix batch of 1..13 rows (each M picks its own row and column tiles)
        // gives the same rows too.
        for (int64_t rows = 1; rows <= 13; ++rows) {
          std::vector<float> prefix(rows * n);
          MatMul(x.data(), rows, w.view(), bias.view(), prefix.data(), pool);
          EXPECT_TRUE(testing::BitwiseEqual(prefix.data(), batch.data(), rows * n))
              << KernelPathName(path) << " " << DTypeName(dt) << " M " << rows;
        }
      }
    }
  }
}

// bf16 dot products (ops::SetBf16Dot): within float32 rounding of the scalar reference,
// bitwise batch invariant, f32/f16 weights untouched, and off again afterwards.
TEST(MatMulTest, Bf16DotProducts) {
  if (!Bf16DotSupported()) GTEST_SKIP() << "no AVX512_BF16 (or the avx512 path is not active)";
  const bool was = Bf16DotEnabled();
  const int64_t m = 13, n = 37, k = 611;  // k: 19 steps of 32 and a tail of 3
  TestWeights w(DType::kBF16, n, k, 11);
  TestWeights bias(DType::kF32, 0, n, 12);
  std::vector<float> x = RandomVector(m * k, 13);
  std::vector<float> plain(m * n), dot(m * n);
  ASSERT_TRUE(SetBf16Dot(false));
  MatMul(x.data(), m, w.view(), bias.view(), plain.data(), nullptr);
  ASSERT_TRUE(SetBf16Dot(true));
  EXPECT_TRUE(Bf16DotEnabled());
  MatMul(x.data(), m, w.view(), bias.view(), dot.data(), nullptr);
  // The scalar reference (ref::Bf16DotConvertRow / ref::Bf16DotColumns): the same rounded
  // activations bit for bit, and the same sums within float32 rounding of their size.
  const int64_t kp = (k + 31) / 32 * 32;
  std::vector<uint16_t> xb(m * kp), xb_fast(kp);
  for (int64_t r = 0; r < m; ++r) {
    ref::Bf16DotConvertRow(x.data() + r * k, k, kp, xb.data() + r * kp);
    internal::Bf16DotConvertRow(x.data() + r * k, k, kp, xb_fast.data());
    EXPECT_EQ(std::vector<uint16_t>(xb.begin() + r * kp, xb.begin() + (r + 1) * kp), xb_fast) << "row " << r;
  }
  std::vector<float> want(m * n);
  internal::Bf16DotArgs ref_args;
  ref_args.xb = xb.data();
  ref_args.m = m;
  ref_args.k = k;
  ref_args.kp = kp;
  ref_args.w = static_cast<const uint16_t*>(w.view().data);
  ref_args.ldw = k;
  ref_args.bias = bias.view().data;
  ref_args.y = want.data();
  ref_args.ldy = n;
  ref::Bf16DotColumns(ref_args, 0, n);
  const std::vector<float>& wf = w.values();
  bool differs = false;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      double scale = 0;
      for (int64_t i = 0; i < k; ++i) scale += std::fabs(static_cast<double>(Bf16ToF32(xb[r * kp + i])) * wf[c * k + i]);
      EXPECT_NEAR(dot[r * n + c], want[r * n + c], 1e-6 * scale + 1e-6) << r << "," << c;
      differs = differs || dot[r * n + c] != plain[r * n + c];
    }
  }
  EXPECT_TRUE(differs) << "bf16 activations must change some results";
  ThreadPool pool2(2);
  for (int64_t rows = 1; rows <= m; ++rows) {
    std::vector<float> prefix(rows * n);
    MatMul(x.data(), rows, w.view(), bias.view(), prefix.data(), rows % 2 ? &pool2 : nullptr);
    EXPECT_TRUE(testing::BitwiseEqual(prefix.data(), dot.data(), rows * n)) << "M " << rows;
  }
  TestWeights wf32(DType::kF32, n, k, 11);
  std::vector<float> y1(m * n), y2(m * n);
  MatMul(x.data(), m, wf32.view(), bias.view(), y1.data(), nullptr);
  ASSERT_TRUE(SetBf16Dot(false));
  EXPECT_FALSE(Bf16DotEnabled());
  MatMul(x.data(), m, wf32.view(), bias.view(), y2.data(), nullptr);
  EXPECT_TRUE(testing::BitwiseEqual(y1.data(), y2.data(), m * n)) << "f32 weights take the float32 kernel";
  SetBf16Dot(was);
}

TEST(MatMulTest, RowSliceOfWeightUsesStride) {
  // A view of rows 1..2 of a [3, 4] weight: strides stay {4, 1}.
  const float w[] = {1, 1, 1, 1, 1, 2, 3, 4, -1, 0, 0, 1};
  TensorView full(w, DType::kF32, Shape{3, 4});
  TensorView slice = full;
  slice.data = w + 4;
  slice.shape[0] = 2;
  const float x[] = {1, 1, 1, 1};
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    float y[2];
    MatMul(x, 1, slice, {}, y, nullptr);
    EXPECT_EQ(y[0], 10.0f);
    EXPECT_EQ(y[1], 0.0f);
  }
}

}  // namespace
}  // namespace corgi::ops
