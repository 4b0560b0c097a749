// Test support: writes the tiny synthetic Qwen3-VL checkpoint (random weights, the real
// tokenizer from shared/data) that engine, pipeline, service and server tests run on.
// Only for test targets, which define CORGI_SHARED_DATA.
#pragma once

#include <string>

#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/synthetic.h"

namespace corgi::qwen3vl::testing {

inline Status WriteTinyCheckpoint(const std::string& dir, uint64_t seed, DType dtype) {
  SyntheticOptions o;
  o.seed = seed;
  o.dtype = dtype;
  o.tokenizer_source = std::string(CORGI_SHARED_DATA) + "/tokenizer";
  return WriteSyntheticCheckpoint(*PresetConfig("tiny"), o, dir, nullptr);
}

}  // namespace corgi::qwen3vl::testing
