// How a completion's tokens are chosen: greedy, or temperature -> top-k -> top-p with a
// seed. Plain data shared by the local engine (engine/sampler.h) and remote Vlms, which
// send it as OpenAI's temperature/top_p/top_k/seed.
#pragma once

#include <cstdint>

namespace corgi {

struct SamplingParams {
  double temperature = 0.0;  // <= 0: greedy (argmax, first index on ties)
  int64_t top_k = 0;         // 0: no top-k
  double top_p = 1.0;        // 1: no nucleus cut
  uint64_t seed = 0;
  bool greedy() const { return temperature <= 0; }
};

}  // namespace corgi
