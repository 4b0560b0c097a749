// Synthetic Qwen2.5-VL checkpoints: the 4.x release layout (config.json, safetensors with
// the release names and shapes, sharded with an index above max_shard_bytes, the 7B
// release's tokenizer, chat template, preprocessor and generation configs) filled with
// deterministic random weights.
//
// Values depend only on (seed, tensor name, element index), never on thread count, so the
// same command always writes the same bytes. Scales keep activations finite through every
// layer: linear weights uniform with std 1/sqrt(fan_in), norm weights around 1, small
// biases, embeddings with std 0.02 (HF's initializer_range).
#pragma once

#include <cstdint>
#include <string>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/qwen2_5vl/config.h"
#include "corgi/model/qwen2_5vl/weights.h"
#include "corgi/model/synthetic_options.h"

namespace corgi::qwen2_5vl {

// Writes the checkpoint into `out_dir` (created if missing). The tokenizer and the
// preprocessor/generation configs are copied from options.tokenizer_source +
// "/qwen2.5-vl-7b-instruct/". Errors: IoError on write failures, NotFound when a source
// file is missing, InvalidArgument for a dtype other than F32/BF16/F16. `pool` may be null.
Status WriteSyntheticCheckpoint(const ModelConfig& config, const SyntheticOptions& options,
                                const std::string& out_dir, ThreadPool* pool);

// The scale (std-derived) and offset make-model uses for a tensor.
void SyntheticInit(const WeightSpec& spec, float* scale, float* offset);
// The value make-model writes at element `index` of `spec` before dtype rounding
// (tests check files against it).
float SyntheticValue(uint64_t seed, const WeightSpec& spec, int64_t index);

}  // namespace corgi::qwen2_5vl
