// Token sampling: greedy, or temperature -> top-k -> top-p (the order Hugging Face
// applies its logits warpers) with a seeded generator, over the first `vocab` logits
// (padding rows of the embedding are never sampled).
// A Sampler is per sequence and not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "corgi/request/sampling.h"

namespace corgi {

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // Picks a token from logits[0, vocab). `logits` may be modified (scratch).
  int32_t Sample(float* logits, int64_t vocab);

 private:
  double NextUniform();  // [0, 1)
  SamplingParams params_;
  uint64_t state_;
  std::vector<int32_t> order_;
  std::vector<float> probs_;
};

}  // namespace corgi
