// A small NumPy .npy reader for tests that compare corgi with Python references
// (tests/data/golden). Supports format versions 1.0 and 2.0, C order, and the dtypes
// the fixtures use: '<f4' (float32), '<i8' (int64), '<i4' (int32). Anything else is
// refused with a Status, never a crash. Test-only: not part of a library.
//
//   StatusOr<NpyArray> a = ReadNpyFile("tests/data/golden/text_only/input_ids.npy");
//   // a->shape == {25}, a->ints holds the values
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/status.h"

namespace corgi {

enum class NpyDType { kF32, kI64, kI32 };

struct NpyArray {
  NpyDType dtype = NpyDType::kF32;
  std::vector<int64_t> shape;  // () for a scalar
  std::vector<float> f32;      // filled for kF32
  std::vector<int64_t> ints;   // filled for kI64 and kI32 (widened)
  int64_t numel() const;
};

// Parses an in-memory .npy file. Errors: DataLoss (bad magic, truncated header or
// data, malformed header dict, a data size that does not match the shape),
// Unimplemented (another version, dtype, byte order, or Fortran order).
StatusOr<NpyArray> ParseNpy(std::string_view bytes);

// Reads and parses `path`; errors name the file (NotFound/IoError for the file itself).
StatusOr<NpyArray> ReadNpyFile(const std::string& path);

}  // namespace corgi
