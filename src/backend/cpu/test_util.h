// Private test helpers for the backend tests: random data, weights in every dtype at
// deliberately misaligned addresses, and a scope that switches the kernel path.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/half.h"
#include "corgi/core/tensor.h"

namespace corgi::ops::testing {

// Runs the enclosed code on one kernel path and restores the previous one.
class ScopedPath {
 public:
  explicit ScopedPath(KernelPath path) : saved_(ActiveKernelPath()) { SetKernelPath(path); }
  ~ScopedPath() { SetKernelPath(saved_); }

 private:
  KernelPath saved_;
};

inline std::vector<KernelPath> FastPaths() {
  std::vector<KernelPath> paths;
  for (KernelPath p : {KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (KernelPathSupported(p)) paths.push_back(p);
  }
  return paths;
}

inline std::vector<KernelPath> AllPaths() {
  std::vector<KernelPath> paths = FastPaths();
  paths.insert(paths.begin(), KernelPath::kRef);
  return paths;
}

inline std::vector<float> RandomVector(int64_t n, uint32_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// A float buffer whose data() is 4 bytes past a 64-byte boundary (misaligned for SIMD).
class MisalignedFloats {
 public:
  explicit MisalignedFloats(const std::vector<float>& values) : storage_(values.size() + 17) {
    for (size_t i = 0; i < values.size(); ++i) data()[i] = values[i];
  }
  explicit MisalignedFloats(int64_t n) : storage_(static_cast<size_t>(n) + 17) {}
  float* data() {
    auto addr = reinterpret_cast<uintptr_t>(storage_.data());
    return storage_.data() + ((64 - addr % 64) % 64) / 4 + 1;
  }

 private:
  std::vector<float> storage_;
};

// Weights [rows, cols] (rows == 0: a vector [cols]) of `dtype` stored one element past an aligned
// address; values() holds them as float after rounding to the dtype, for the reference.
class TestWeights {
 public:
  TestWeights(DType dtype, int64_t rows, int64_t cols, uint32_t seed, float scale = 1.0f)
      : dtype_(dtype),
        rows_(rows),
        cols_(cols),
        bytes_(static_cast<size_t>(std::max<int64_t>(rows, 1) * cols) * 4 + 128) {
    values_ = RandomVector(std::max<int64_t>(rows, 1) * cols, seed, -scale, scale);
    auto addr = reinterpret_cast<uintptr_t>(bytes_.data());
    data_ = bytes_.data() + (64 - addr % 64) % 64 + DTypeSize(dtype);
    for (size_t i = 0; i < values_.size(); ++i) {
      if (dtype == DType::kBF16) {
        const uint16_t h = F32ToBf16(values_[i]);
        values_[i] = Bf16ToF32(h);
        std::memcpy(data_ + 2 * i, &h, 2);
      } else if (dtype == DType::kF16) {
        const uint16_t h = F32ToF16(values_[i]);
        values_[i] = F16ToF32(h);
        std::memcpy(data_ + 2 * i, &h, 2);
      } else {
        std::memcpy(data_ + 4 * i, &values_[i], 4);
      }
    }
  }
  TensorView view() const {
    if (rows_ == 0) return TensorView(data_, dtype_, Shape{cols_});
    return TensorView(data_, dtype_, Shape{rows_, cols_});
  }
  const std::vector<float>& values() const { return values_; }

 private:
  DType dtype_;
  int64_t rows_, cols_;
  std::vector<uint8_t> bytes_;
  uint8_t* data_;
  std::vector<float> values_;
};

inline bool BitwiseEqual(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

}  // namespace corgi::ops::testing
