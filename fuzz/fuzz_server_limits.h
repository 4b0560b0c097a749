// ServerLimits for the HTTP fuzzers: the server's defaults, with images capped at 4 Mpx so
// one input cannot take the fuzzer past its memory limit (decoding is image_fuzzer's job).
#pragma once

#include "apps/server/http_common.h"

namespace corgi::fuzz {

inline server::ServerLimits FuzzServerLimits() {
  server::ServerLimits limits;
  limits.max_image_pixels = int64_t{1} << 22;
  return limits;
}

}  // namespace corgi::fuzz
