// The decoder's 3-axis (t, h, w) position ids for a prompt with images, and the rope
// delta that continues them through generation (Qwen2-VL's get_rope_index; Qwen2.5-VL
// and Qwen3-VL compute images the same way). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/model/image_grid.h"

namespace corgi {

struct TextPositions {
  // [3, S]: row 0 = t, row 1 = h, row 2 = w positions of each token.
  std::vector<int32_t> ids;
  int64_t length = 0;
  // (max position + 1) - length; <= 0 with images. Generated token n (0-based, counted
  // from the end of the prompt) gets position length + n + rope_delta on all three axes.
  int64_t rope_delta = 0;
  int32_t t(int64_t i) const { return ids[i]; }
  int32_t h(int64_t i) const { return ids[length + i]; }
  int32_t w(int64_t i) const { return ids[2 * length + i]; }
};

// Walks `tokens`: text tokens advance one position on all axes; each run of image
// tokens takes the next grid and gets (s + frame, s + row, s + col) over the merged grid,
// after which s = max position + 1. InvalidArgument when the number of image tokens in a
// run differs from its grid's merged token count, or runs and grids differ in number.
StatusOr<TextPositions> ComputeMropePositions(std::span<const int32_t> tokens, int32_t image_token_id,
                                              std::span<const ImageGrid> grids, int64_t merge_size);

}  // namespace corgi
