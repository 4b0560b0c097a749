// Owned, 64-byte-aligned, zero-initialized memory for activations and scratch.
// Move-only. Not thread-safe for concurrent mutation (plain memory).
#pragma once

#include <cstddef>
#include <cstdint>

namespace corgi {

class AlignedBuffer {
 public:
  static constexpr size_t kAlignment = 64;  // one cache line; enough for AVX-512

  AlignedBuffer() = default;
  // Allocates `bytes` zeroed bytes; aborts (CORGI_CHECK) if the allocation fails.
  explicit AlignedBuffer(size_t bytes);
  ~AlignedBuffer();
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  template <typename T> T* as() { return static_cast<T*>(data_); }
  template <typename T> const T* as() const { return static_cast<const T*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// A bump allocator over one AlignedBuffer: plan memory once, then hand out
// aligned slices without further allocation. Reset() frees everything at once.
class Arena {
 public:
  explicit Arena(size_t bytes) : buffer_(bytes) {}
  // Returns nullptr when the arena is exhausted (callers size arenas up front).
  void* Allocate(size_t bytes);
  template <typename T> T* Allocate(size_t count) {
    return static_cast<T*>(Allocate(count * sizeof(T)));
  }
  void Reset() { used_ = 0; }
  size_t used() const { return used_; }
  size_t capacity() const { return buffer_.size(); }

 private:
  AlignedBuffer buffer_;
  size_t used_ = 0;
};

}  // namespace corgi
