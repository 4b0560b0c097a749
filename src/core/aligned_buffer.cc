#include "corgi/core/aligned_buffer.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "corgi/core/check.h"

namespace corgi {

AlignedBuffer::AlignedBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  CORGI_CHECK(data_ != nullptr) << "out of memory allocating " << bytes << " bytes";
  std::memset(data_, 0, rounded);
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void* Arena::Allocate(size_t bytes) {
  size_t start = (used_ + AlignedBuffer::kAlignment - 1) / AlignedBuffer::kAlignment *
                 AlignedBuffer::kAlignment;
  if (start > buffer_.size() || bytes > buffer_.size() - start) return nullptr;
  used_ = start + bytes;
  return static_cast<char*>(buffer_.data()) + start;
}

}  // namespace corgi
