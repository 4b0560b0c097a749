// Test support: writes the tiny synthetic Qwen2.5-VL checkpoint (random weights, the 7B
// release's tokenizer from shared/data). Only for test targets, which define
// CORGI_SHARED_DATA.
#pragma once

#include <string>

#include "corgi/model/qwen2_5vl/presets.h"
#include "corgi/model/qwen2_5vl/synthetic.h"

namespace corgi::qwen2_5vl::testing {

inline SyntheticOptions TinyOptions(uint64_t seed, DType dtype) {
  SyntheticOptions o;
  o.seed = seed;
  o.dtype = dtype;
  o.tokenizer_source = std::string(CORGI_SHARED_DATA) + "/tokenizer";
  return o;
}

inline Status WriteTinyCheckpoint(const std::string& dir, uint64_t seed, DType dtype) {
  return WriteSyntheticCheckpoint(*PresetConfig("tiny"), TinyOptions(seed, dtype), dir, nullptr);
}

}  // namespace corgi::qwen2_5vl::testing
