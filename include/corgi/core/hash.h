// Content hashing (XXH3-128 from Debian's libxxhash): fast, stable across runs and
// machines, used for cache keys (vision cache, prefix cache) and model identity.
// Not cryptographic. Thread-safe (Hasher instances are not shared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace corgi {

struct Hash128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Hash128& o) const { return high == o.high && low == o.low; }
  bool operator!=(const Hash128& o) const { return !(*this == o); }
  bool operator<(const Hash128& o) const { return high != o.high ? high < o.high : low < o.low; }
  // 32 lowercase hex digits.
  std::string ToHex() const;
};

Hash128 HashBytes(const void* data, size_t size);
inline Hash128 HashString(std::string_view s) { return HashBytes(s.data(), s.size()); }

// Incremental hashing of several pieces; equal to HashBytes of their concatenation.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  template <typename T> void UpdatePod(const T& value) { Update(&value, sizeof(value)); }
  Hash128 Finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace corgi
