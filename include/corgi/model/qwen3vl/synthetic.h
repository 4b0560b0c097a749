// Synthetic Qwen3-VL checkpoints: the real Hugging Face layout (config.json,
// safetensors with the real names and shapes, tokenizer files, preprocessor and
// generation configs) filled with deterministic random weights.
//
// Values depend only on (seed, tensor name, element index), never on thread count,
// so the same command always writes the same bytes. Scales keep activations finite
// through every layer: linear weights ~ U with std 1/sqrt(fan_in), norm weights
// around 1, small biases, embeddings with std 0.02 (HF's initializer_range) and a
// position table with std 0.5 so positions visibly matter.
#pragma once

#include <cstdint>
#include <string>

#include "corgi/core/dtype.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/qwen3vl/config.h"

#include "corgi/model/synthetic_options.h"

namespace corgi::qwen3vl {

// Writes the checkpoint into `out_dir` (created if missing). Errors: IoError on
// write failures, NotFound if a tokenizer source file is missing, InvalidArgument
// for an unsupported dtype. `pool` may be null.
Status WriteSyntheticCheckpoint(const ModelConfig& config, const SyntheticOptions& options,
                                const std::string& out_dir, ThreadPool* pool);

// The value make-model writes at element `index` of tensor `name` before dtype
// rounding: exposed so tests can check the file against the generator.
float SyntheticValue(uint64_t seed, const std::string& name, int64_t index, float scale, float offset);

}  // namespace corgi::qwen3vl
