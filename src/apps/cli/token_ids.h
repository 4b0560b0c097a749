// The input of `corgi tokenize --decode`: a JSON array of token ids.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "corgi/core/status.h"

namespace corgi::cli {

// Parses a JSON array of integers that fit int32. InvalidArgument naming the problem:
// not JSON, not an array, an element that is not an int32 (shown cut to 40 characters),
// or nesting deeper than kMaxJsonDepth (json_scan.h) — checked before parsing, so
// `[[[…]]]` 100,000 deep is an error, not a stack overflow. Thread-safe.
StatusOr<std::vector<int32_t>> ParseTokenIds(std::string_view text);

}  // namespace corgi::cli
