// The deterministic values `corgi make-model` writes, shared by every model family
// (model-layer private). A tensor's element i is offset + scale * u(key, i) with u
// uniform in [-1, 1) and key = SyntheticKey(seed, tensor name), so values depend only on
// (seed, name, index), never on thread count or file layout. The same algorithm as
// qwen3vl::SyntheticValue. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "corgi/core/dtype.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/synthetic_options.h"
#include "corgi/model/weight_spec.h"

namespace corgi::model_internal {

uint64_t SyntheticKey(uint64_t seed, const std::string& name);
// Uniform in [-1, 1) from a tensor key and an element index.
float SyntheticUniform(uint64_t key, int64_t index);
// dst[i] = dtype(offset + scale * SyntheticUniform(key, i)) for i < n; dtype F32, BF16 or
// F16 (others are a programmer error). dst need only be 2-byte aligned. `pool` may be null.
void FillSynthetic(uint64_t key, float scale, float offset, int64_t n, DType dtype, uint8_t* dst,
                   ThreadPool* pool);

// The scale (std-derived: uniform noise in [-1, 1) has std 1/sqrt(3)) and offset of each
// init kind: linear weights std 1/sqrt(fan_in), norm weights around 1 (std 0.1), biases
// and embeddings std 0.02 (HF's initializer_range), a position table std 0.5.
void SyntheticInit(const WeightSpec& spec, float* scale, float* offset);
// The text decoder's final RMSNorm (what SyntheticOptions::logit_std scales).
bool IsFinalNorm(const WeightSpec& spec);

// "float32" | "float16" | "bfloat16" (config.json's torch_dtype for a written dtype).
const char* TorchDtypeName(DType dtype);

// InvalidArgument unless options.dtype is F32, BF16 or F16; IoError when `out_dir`
// cannot be created.
Status PrepareSyntheticDir(const SyntheticOptions& options, const std::string& out_dir);

// Writes every required tensor of `table` (a tied lm_head is omitted, as save_pretrained
// does) with synthetic values, sharded at options.max_shard_bytes, with the seed in the
// safetensors metadata. `pool` may be null.
Status WriteSyntheticTensors(std::span<const WeightSpec> table, const SyntheticOptions& options,
                             const std::string& out_dir, ThreadPool* pool);

}  // namespace corgi::model_internal
