// Position bookkeeping for Qwen3-VL (the 3-axis position ids themselves are
// model/mrope_positions.h, spec §5.4): the interleaved M-RoPE angles (§5.3), the vision tower's 2-D
// rotary angles (§4 step 3) and its bilinear position-embedding interpolation (§4 step 2).
// All float math is float32 in the order Hugging Face uses, so tables match bit for bit.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/model/image_grid.h"
#include "corgi/model/mrope_positions.h"
#include "corgi/model/mrope_rotary.h"
#include "corgi/model/qwen3vl/config.h"

namespace corgi::qwen3vl {

// The decoder rotary's per-slot inverse frequencies and position axes (interleaved when
// config.mrope_interleaved, as in every release; chunked otherwise), computed once per
// model. The angles themselves are corgi::MropeAngles (model/mrope_rotary.h):
// out [S, head_dim/2], phi_k = pos_axis(k) * inv_freq[k] (float32), pos [3, S] as in
// TextPositions::ids (or three equal rows for decode tokens).
using corgi::MropeAngles;
using corgi::MropeFrequencies;
MropeFrequencies MakeMropeFrequencies(const TextConfig& config);

// Which position axis (0 = t, 1 = h, 2 = w) drives frequency slot k.
int MropeAxis(const TextConfig& config, int64_t k);

// Vision 2-D rotary angles for one image in merge-block order (spec §4 step 3).
// out: [grid.patches(), head_dim/2]: slots [0, head_dim/4) use the patch row, the rest the column.
void VisionRotaryAngles(const ImageGrid& grid, int64_t head_dim, int64_t merge_size, float* out);

// Bilinear (align-corners) interpolation of the learned position table for one image,
// in merge-block order and repeated per frame (spec §4 step 2; the per-axis arithmetic
// of transformers 5.x, our pinned reference).
struct PositionInterpolation {
  std::vector<int32_t> index;  // [patches, 4] rows of pos_embed.weight
  std::vector<float> weight;   // [patches, 4] matching weights
};
PositionInterpolation InterpolatePositions(const ImageGrid& grid, int64_t num_grid_per_side,
                                           int64_t merge_size);

}  // namespace corgi::qwen3vl
