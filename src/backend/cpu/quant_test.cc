// Quantized weights: packing round trips, the reference matmul against float math, and
// every fast path against the reference, bitwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/kernel_table.h"
#include "backend/cpu/test_util.h"
#include "corgi/backend/ops.h"
#include "corgi/core/half.h"
#include "corgi/core/quant_format.h"
#include "corgi/core/thread_pool.h"

namespace corgi::ops {
namespace {

using testing::MisalignedFloats;
using testing::RandomVector;
using testing::ScopedPath;

constexpr DType kFormats[] = {DType::kQ8, DType::kQ6, DType::kQ4};

struct Packed {
  std::vector<uint8_t> bytes;
  TensorView view;
};

Packed Pack(const std::vector<float>& w, int64_t n, int64_t k, DType format) {
  Packed p;
  p.bytes.resize(static_cast<size_t>(quant::PackedBytes(format, n, k)));
  QuantizeWeights(TensorView(w.data(), DType::kF32, Shape{n, k}), format, p.bytes.data(), nullptr);
  p.view = TensorView(p.bytes.data(), format, Shape{n, k});
  return p;
}

double RelativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

TEST(QuantTest, DequantizedWeightsAreClose) {
  const int64_t n = 37, k = 77;  // neither a multiple of 16 nor of 32
  const std::vector<float> w = RandomVector(n * k, 1);
  for (auto [format, bound] :
       {std::pair{DType::kQ8, 0.006}, std::pair{DType::kQ6, 0.025}, std::pair{DType::kQ4, 0.1}}) {
    Packed p = Pack(w, n, k, format);
    std::vector<float> back(static_cast<size_t>(n * k));
    for (int64_t r = 0; r < n; ++r) DequantizeRow(p.view, r, back.data() + r * k);
    EXPECT_LT(RelativeError(back, w), bound) << DTypeName(format);
    EXPECT_GT(RelativeError(back, w), 0.0) << DTypeName(format);
  }
}

TEST(QuantTest, ReferenceMatMulIsCloseToFloat) {
  const int64_t m = 5, n = 40, k = 100;
  const std::vector<float> w = RandomVector(n * k, 2), x = RandomVector(m * k, 3);
  std::vector<float> exact(static_cast<size_t>(m * n));
  MatMul(x.data(), m, TensorView(w.data(), DType::kF32, Shape{n, k}), {}, exact.data(), nullptr);
  testing::ScopedPath scope(KernelPath::kRef);
  for (auto [format, bound] :
       {std::pair{DType::kQ8, 0.01}, std::pair{DType::kQ6, 0.04}, std::pair{DType::kQ4, 0.15}}) {
    Packed p = Pack(w, n, k, format);
    std::vector<float> y(static_cast<size_t>(m * n));
    MatMul(x.data(), m, p.view, {}, y.data(), nullptr);
    EXPECT_LT(RelativeError(y, exact), bound) << DTypeName(format);
  }
}

// Per element: |w - dequantized| within one q8 step (absmax/127 of its block), for q6
// within 0.05·absmax and for q4 within 0.2·absmax of its group of 8 blocks (the scale search
// may clip the side opposite the peak by 2 steps; the scales are codes under the group's
// largest, so a block 1000× smaller than its neighbour loses its own resolution).
TEST(QuantTest, DequantizationErrorIsBoundedPerBlock) {
  const int64_t n = 21, k = 100;
  std::vector<float> w = RandomVector(n * k, 4, -3.0f, 3.0f);
  for (int64_t i = 0; i < k; ++i) w[5 * k + i] = 0.0f;  // an all-zero row
  for (int64_t i = 0; i < 40; ++i) w[7 * k + i] *= 1000.0f;  // a large block
  for (auto [format, steps] :
       {std::pair{DType::kQ8, 1.0f / 127.0f}, std::pair{DType::kQ6, 0.05f}, std::pair{DType::kQ4, 0.2f}}) {
    Packed p = Pack(w, n, k, format);
    std::vector<float> back(static_cast<size_t>(k));
    for (int64_t r = 0; r < n; ++r) {
      DequantizeRow(p.view, r, back.data());
      for (int64_t b = 0; b < quant::Blocks(k); ++b) {
        const int64_t k0 = b * quant::kBlockK, k1 = std::min(k, k0 + quant::kBlockK);
        const int64_t span = format == DType::kQ8 ? quant::kBlockK : quant::kGroupBlocks * quant::kBlockK;
        const int64_t g0 = k0 / span * span, g1 = std::min(k, g0 + span);
        float amax = 0.0f;
        for (int64_t i = g0; i < g1; ++i) amax = std::max(amax, std::fabs(w[r * k + i]));
        for (int64_t i = k0; i < k1; ++i) {
          ASSERT_LE(std::fabs(back[i] - w[r * k + i]), steps * amax)
              << DTypeName(format) << " row " << r << " col " << i;
        }
      }
    }
  }
}

TEST(QuantTest, EmbeddingLookupOfPackedTableIsDequantizeRow) {
  const int64_t vocab = 37, d = 70;
  const std::vector<float> table = RandomVector(vocab * d, 5);
  const std::vector<int32_t> ids = {3, 0, 36, 3, 17, 16};
  const auto count = static_cast<int64_t>(ids.size());
  ThreadPool pool(2);
  for (DType format : kFormats) {
    Packed p = Pack(table, vocab, d, format);
    std::vector<float> out(static_cast<size_t>(count * d)), row(static_cast<size_t>(d));
    ASSERT_TRUE(EmbeddingLookup(p.view, ids.data(), count, out.data(), &pool).ok());
    for (int64_t i = 0; i < count; ++i) {
      DequantizeRow(p.view, ids[static_cast<size_t>(i)], row.data());
      EXPECT_TRUE(testing::BitwiseEqual(out.data() + i * d, row.data(), d))
          << DTypeName(format) << " id " << ids[static_cast<size_t>(i)];
    }
    const int32_t bad = static_cast<int32_t>(vocab);
    EXPECT_FALSE(EmbeddingLookup(p.view, &bad, 1, out.data(), &pool).ok());
  }
}

// Activation rows with the awkward cases: zero rows, all-zero blocks, huge and tiny
// (subnormal: 127/absmax overflows) magnitudes, exact .5 ties after scaling.
std::vector<float> AwkwardActivations(int64_t m, int64_t ld, uint32_t seed) {
  std::vector<float> x = RandomVector(m * ld, seed, -2.0f, 2.0f);
  for (int64_t r = 0; r < m; ++r) {
    float* row = x.data() + r * ld;
    switch (r % 6) {
      case 1:
        std::fill(row, row + ld, 0.0f);
        break;
      case 2:
        std::fill(row, row + std::min<int64_t>(ld, 40), 0.0f);  // block 0 zero, block 1 part
        break;
      case 3:
        for (int64_t i = 0; i < ld; ++i) row[i] *= 1e30f;
        break;
      case 4:
        for (int64_t i = 0; i < ld; i += 2) row[i] *= 1e-39f;  // subnormal blocks mixed in
        std::fill(row, row + std::min<int64_t>(ld, 32), 3e-39f);
        break;
      case 5:  // x·127/absmax lands on .5 for many entries: round half to even
        for (int64_t i = 0; i < ld; ++i) row[i] = static_cast<float>(static_cast<int>(i % 9) - 4) * 0.5f;
        break;
      default:
        break;
    }
  }
  return x;
}

TEST(QuantTest, ActivationQuantizationIsBitwiseEqualOnEveryPath) {
  for (int64_t k : {1, 5, 31, 32, 33, 64, 100, 2055}) {
    const int64_t rows = 12, blocks = quant::Blocks(k), kp = blocks * quant::kBlockK;
    const std::vector<float> x = AwkwardActivations(rows, k, static_cast<uint32_t>(k));
    std::vector<int8_t> q_ref(static_cast<size_t>(kp));
    std::vector<float> s_ref(static_cast<size_t>(blocks));
    std::vector<int32_t> sum_ref(static_cast<size_t>(blocks));
    for (int64_t r = 0; r < rows; ++r) {
      MisalignedFloats row(std::vector<float>(x.begin() + r * k, x.begin() + (r + 1) * k));
      internal::RefKernels().quantize_row(row.data(), k, q_ref.data(), s_ref.data(), sum_ref.data());
      int32_t total = 0;
      for (int8_t v : q_ref) total += v;
      int32_t sums = 0;
      for (int32_t v : sum_ref) sums += v;
      EXPECT_EQ(total, sums);
      for (KernelPath path : testing::FastPaths()) {
        ScopedPath scope(path);
        std::vector<int8_t> q(static_cast<size_t>(kp), 99);
        std::vector<float> s(static_cast<size_t>(blocks));
        std::vector<int32_t> sum(static_cast<size_t>(blocks));
        internal::ActiveKernels().quantize_row(row.data(), k, q.data(), s.data(), sum.data());
        EXPECT_EQ(q, q_ref) << KernelPathName(path) << " k " << k << " row " << r;
        EXPECT_EQ(sum, sum_ref) << KernelPathName(path) << " k " << k << " row " << r;
        EXPECT_EQ(0, std::memcmp(s.data(), s_ref.data(), s.size() * sizeof(float)))
            << KernelPathName(path) << " k " << k << " row " << r;
      }
    }
  }
}

// Every fast path against the reference, bitwise: odd N and K (N < 16, K < 32, tails),
// misaligned x and y with row strides, with and without bias, awkward activations.
TEST(QuantTest, FastPathsMatchReferenceBitwise) {
  struct Size {
    int64_t m, n, k;
  };
  const Size sizes[] = {{1, 1, 1},   {2, 15, 31}, {3, 16, 32},  {5, 37, 77},  {13, 50, 100},
                        {4, 48, 64}, {7, 49, 300}, {1, 100, 33}, {6, 70, 1}, {9, 17, 129},
                        {2, 33, 600}};
  ThreadPool pool(2);
  uint32_t seed = 10;
  for (DType format : kFormats) {
    for (const Size& sz : sizes) {
      const std::vector<float> w = RandomVector(sz.n * sz.k, ++seed);
      const Packed p = Pack(w, sz.n, sz.k, format);
      const std::vector<float> bias_values = RandomVector(sz.n, ++seed);
      const TensorView bias(bias_values.data(), DType::kF32, Shape{sz.n});
      const int64_t ldx = sz.k + 3, ldy = sz.n + 5;
      MisalignedFloats x(AwkwardActivations(sz.m, ldx, ++seed));
      for (const TensorView& b : {TensorView(), bias}) {
        MisalignedFloats y_ref(sz.m * ldy);
        std::fill(y_ref.data(), y_ref.data() + sz.m * ldy, 7.0f);
        {
          ScopedPath scope(KernelPath::kRef);
          MatMul(x.data(), ldx, sz.m, p.view, b, y_ref.data(), ldy, nullptr);
        }
        for (int64_t r = 0; r < sz.m; ++r) {  // the gap between rows is never written
          for (int64_t c = sz.n; c < ldy; ++c) ASSERT_EQ(y_ref.data()[r * ldy + c], 7.0f);
        }
        for (KernelPath path : testing::FastPaths()) {
          ScopedPath scope(path);
          for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
            MisalignedFloats y(sz.m * ldy);
            std::fill(y.data(), y.data() + sz.m * ldy, 7.0f);
            MatMul(x.data(), ldx, sz.m, p.view, b, y.data(), ldy, tp);
            EXPECT_TRUE(testing::BitwiseEqual(y.data(), y_ref.data(), sz.m * ldy))
                << KernelPathName(path) << " " << DTypeName(format) << " m=" << sz.m
                << " n=" << sz.n << " k=" << sz.k << (b.data ? " bias" : "");
          }
        }
      }
    }
  }
}

// Each row of an M-row batch (M = 1..13: every row tile and remainder) equals that row
// computed alone, bitwise, on every path, with 1 and 2 threads; N·K is large enough that
// the pool really splits the panels even for M = 1.
TEST(QuantTest, BatchInvariant) {
  const int64_t n = 150, k = 1800, max_m = 13;
  ThreadPool pool2(2);
  const std::vector<float> w = RandomVector(n * k, 21);
  const std::vector<float> bias_values = RandomVector(n, 22);
  const TensorView bias(bias_values.data(), DType::kF32, Shape{n});
  const std::vector<float> x = AwkwardActivations(max_m, k, 23);
  for (DType format : kFormats) {
    const Packed p = Pack(w, n, k, format);
    for (KernelPath path : testing::AllPaths()) {
      ScopedPath scope(path);
      std::vector<float> alone(static_cast<size_t>(max_m * n));
      for (int64_t r = 0; r < max_m; ++r) {
        MatMul(x.data() + r * k, 1, p.view, bias, alone.data() + r * n, nullptr);
      }
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
        for (int64_t m = 1; m <= max_m; ++m) {
          std::vector<float> batch(static_cast<size_t>(m * n));
          MatMul(x.data(), m, p.view, bias, batch.data(), pool);
          EXPECT_TRUE(testing::BitwiseEqual(batch.data(), alone.data(), m * n))
              << KernelPathName(path) << " " << DTypeName(format) << " M " << m
              << (pool ? " 2 threads" : "");
        }
      }
    }
  }
}

// MatMulShared (one x, several packed weights of mixed formats, biases of mixed types) gives
// each output bitwise as its own MatMul, on every path, with 1 and 2 threads, and a set with
// a float weight falls back to one MatMul each.
TEST(QuantTest, SharedInputEqualsSeparateMatMuls) {
  const int64_t k = 700, m_max = 5;
  const int64_t ns[] = {200, 37, 96};
  const DType formats[] = {DType::kQ4, DType::kQ6, DType::kQ8};
  ThreadPool pool2(2);
  std::vector<Packed> packed;
  std::vector<std::vector<float>> weights;
  for (int i = 0; i < 3; ++i) {
    weights.push_back(RandomVector(ns[i] * k, 30 + i));
    packed.push_back(Pack(weights.back(), ns[i], k, formats[i]));
  }
  const std::vector<float> bias1 = RandomVector(ns[1], 40), bias2 = RandomVector(ns[2], 42);
  std::vector<uint16_t> bias1_bf16(bias1.size());
  for (size_t i = 0; i < bias1.size(); ++i) bias1_bf16[i] = F32ToBf16(bias1[i]);
  const TensorView biases[] = {TensorView(), TensorView(bias1_bf16.data(), DType::kBF16, Shape{ns[1]}),
                               TensorView(bias2.data(), DType::kF32, Shape{ns[2]})};
  const std::vector<float> x = AwkwardActivations(m_max, k, 41);
  const TensorView float_w(weights[2].data(), DType::kF32, Shape{ns[2], k});
  for (KernelPath path : testing::AllPaths()) {
    ScopedPath scope(path);
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      for (int64_t m = 1; m <= m_max; m += 2) {
        for (bool with_float : {false, true}) {
          std::vector<std::vector<float>> want(3), got(3);
          std::vector<MatMulTarget> targets;
          for (int i = 0; i < 3; ++i) {
            const TensorView w = with_float && i == 2 ? float_w : packed[i].view;
            want[i].assign(static_cast<size_t>(m * ns[i]), 0.0f);
            got[i].assign(static_cast<size_t>(m * ns[i]), 7.0f);
            MatMul(x.data(), m, w, biases[i], want[i].data(), nullptr);
            targets.push_back({w, biases[i], got[i].data(), ns[i]});
          }
          MatMulShared(x.data(), k, m, targets, pool);
          for (int i = 0; i < 3; ++i) {
            EXPECT_TRUE(testing::BitwiseEqual(got[i].data(), want[i].data(), m * ns[i]))
                << KernelPathName(path) << " weight " << i << " m " << m << (pool ? " 2 threads" : "")
                << (with_float ? " with a float weight" : "");
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace corgi::ops
