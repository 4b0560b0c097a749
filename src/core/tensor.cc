#include "corgi/core/tensor.h"

#include <sstream>

#include "corgi/core/quant_format.h"

namespace corgi {

size_t TensorBytes(DType dtype, const Shape& shape) {
  if (IsBlockQuantized(dtype)) {
    CORGI_CHECK(shape.rank() == 2) << "a " << DTypeName(dtype) << " tensor must be [N, K], got "
                                   << shape.ToString();
    return static_cast<size_t>(quant::PackedBytes(dtype, shape[0], shape[1]));
  }
  return static_cast<size_t>(shape.numel()) * DTypeSize(dtype);
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[i] != other.dims_[i]) return false;
  return true;
}

std::string Shape::ToString() const {
  std::ostringstream ss;
  ss << "[";
  for (int i = 0; i < rank_; ++i) ss << (i ? ", " : "") << dims_[i];
  ss << "]";
  return ss.str();
}

std::array<int64_t, kMaxDims> ContiguousStrides(const Shape& shape) {
  std::array<int64_t, kMaxDims> strides{};
  int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

bool TensorView::is_contiguous() const { return strides == ContiguousStrides(shape); }

TensorView TensorView::Slice0(int64_t i) const {
  CORGI_CHECK(shape.rank() >= 1 && i >= 0 && i < shape[0]) << "Slice0(" << i << ") of " << shape.ToString();
  TensorView v;
  v.dtype = dtype;
  CORGI_CHECK(!IsBlockQuantized(dtype)) << "Slice0 of a block-quantized tensor";
  v.data = static_cast<const char*>(data) + i * strides[0] * static_cast<int64_t>(DTypeSize(dtype));
  for (int d = 1; d < shape.rank(); ++d) {
    v.shape.push_back(shape[d]);
    v.strides[d - 1] = strides[d];
  }
  return v;
}

}  // namespace corgi
