#include "model/synthetic_values.h"

#include <cstring>

#include "corgi/core/check.h"
#include "corgi/core/half.h"
#include "corgi/core/hash.h"

namespace corgi::model_internal {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t SyntheticKey(uint64_t seed, const std::string& name) {
  const Hash128 h = HashString(name);
  return SplitMix64(seed ^ h.low) ^ h.high;
}

float SyntheticUniform(uint64_t key, int64_t index) {
  const uint64_t bits = SplitMix64(key + static_cast<uint64_t>(index) * 0xd1b54a32d192ed03ull);
  return static_cast<float>(static_cast<double>(bits >> 40) * (2.0 / 16777216.0) - 1.0);
}

void FillSynthetic(uint64_t key, float scale, float offset, int64_t n, DType dtype, uint8_t* dst,
                   ThreadPool* pool) {
  CORGI_CHECK(dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16)
      << "unsupported dtype";
  auto fill_range = [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      const float v = offset + scale * SyntheticUniform(key, static_cast<int64_t>(i));
      if (dtype == DType::kF32) {
        std::memcpy(dst + 4 * i, &v, 4);
      } else {
        const uint16_t h = dtype == DType::kBF16 ? F32ToBf16(v) : F32ToF16(v);
        std::memcpy(dst + 2 * i, &h, 2);
      }
    }
  };
  if (pool != nullptr && n > (1 << 16)) {
    pool->ParallelFor(static_cast<size_t>(n), fill_range);
  } else {
    fill_range(0, static_cast<size_t>(n), 0);
  }
}

}  // namespace corgi::model_internal
