// Writes NumPy .npy files (format 1.0, little-endian, C order) so stage dumps and
// preprocessed pixels can be compared with Python references.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corgi/core/status.h"

namespace corgi::cli {

// Atomic write of `count` values with `shape` (product must equal count).
Status WriteNpyF32(const std::string& path, const float* data, const std::vector<int64_t>& shape);
Status WriteNpyI64(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape);

}  // namespace corgi::cli
