// The deterministic values `corgi make-model` writes, shared by every model family
// (model-layer private). A tensor's element i is offset + scale * u(key, i) with u
// uniform in [-1, 1) and key = SyntheticKey(seed, tensor name), so values depend only on
// (seed, name, index), never on thread count or file layout. The same algorithm as
// qwen3vl::SyntheticValue. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "corgi/core/dtype.h"
#include "corgi/core/thread_pool.h"

namespace corgi::model_internal {

uint64_t SyntheticKey(uint64_t seed, const std::string& name);
// Uniform in [-1, 1) from a tensor key and an element index.
float SyntheticUniform(uint64_t key, int64_t index);
// dst[i] = dtype(offset + scale * SyntheticUniform(key, i)) for i < n; dtype F32, BF16 or
// F16 (others are a programmer error). dst need only be 2-byte aligned. `pool` may be null.
void FillSynthetic(uint64_t key, float scale, float offset, int64_t n, DType dtype, uint8_t* dst,
                   ThreadPool* pool);

}  // namespace corgi::model_internal
