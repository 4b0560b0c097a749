// Non-owning views of tensors: a pointer, a dtype, a shape and strides (in elements).
// Views never own memory: weights point into mmap'd checkpoints, activations into
// AlignedBuffers. A view is a value; copying it copies the description, not the data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "corgi/core/check.h"
#include "corgi/core/dtype.h"

namespace corgi {

constexpr int kMaxDims = 6;

// Dimensions, outermost first ("row-major"). At most kMaxDims.
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  template <typename It>
  Shape(It begin, It end) {
    for (It it = begin; it != end; ++it) push_back(static_cast<int64_t>(*it));
  }

  int rank() const { return rank_; }
  int64_t operator[](int i) const {
    CORGI_DCHECK(i >= 0 && i < rank_);
    return dims_[i];
  }
  int64_t& operator[](int i) {
    CORGI_DCHECK(i >= 0 && i < rank_);
    return dims_[i];
  }
  void push_back(int64_t d) {
    CORGI_CHECK(rank_ < kMaxDims) << "tensor rank above " << kMaxDims;
    dims_[rank_++] = d;
  }
  // Product of the dimensions (1 for a scalar).
  int64_t numel() const;
  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }
  // "[2048, 151936]"
  std::string ToString() const;

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int rank_ = 0;
};

// Row-major (contiguous) strides of a shape, in elements.
std::array<int64_t, kMaxDims> ContiguousStrides(const Shape& shape);

// Bytes of a contiguous tensor of `dtype` and `shape`; for the block formats (kQ8/kQ4,
// shape [N, K]) the packed size of core/quant_format.h.
size_t TensorBytes(DType dtype, const Shape& shape);

struct TensorView {
  const void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;
  std::array<int64_t, kMaxDims> strides{};  // in elements

  TensorView() = default;
  // A contiguous view.
  TensorView(const void* d, DType t, Shape s) : data(d), dtype(t), shape(s), strides(ContiguousStrides(s)) {}

  int64_t numel() const { return shape.numel(); }
  size_t bytes() const { return TensorBytes(dtype, shape); }
  bool is_contiguous() const;
  template <typename T> const T* as() const { return static_cast<const T*>(data); }
  // View of index i along the outermost dimension (rank drops by one). Not for kQ8/kQ4.
  TensorView Slice0(int64_t i) const;
};

// The same with writable data.
struct MutableTensorView {
  void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;
  std::array<int64_t, kMaxDims> strides{};

  MutableTensorView() = default;
  MutableTensorView(void* d, DType t, Shape s) : data(d), dtype(t), shape(s), strides(ContiguousStrides(s)) {}
  int64_t numel() const { return shape.numel(); }
  size_t bytes() const { return TensorBytes(dtype, shape); }
  template <typename T> T* as() const { return static_cast<T*>(data); }
  operator TensorView() const {  // NOLINT: writable views read as read-only ones
    TensorView v;
    v.data = data;
    v.dtype = dtype;
    v.shape = shape;
    v.strides = strides;
    return v;
  }
};

}  // namespace corgi
