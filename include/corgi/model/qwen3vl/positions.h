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
#include "corgi/model/qwen3vl/config.h"

namespace corgi::qwen3vl {

// The per-slot inverse frequencies and position axes of the text rotary, computed once
// per model (they depend only on the config).
struct MropeFrequencies {
  std::vector<float> inv_freq;  // [head_dim/2]
  std::vector<int> axis;        // [head_dim/2], 0 = t, 1 = h, 2 = w (MropeAxis)
};
MropeFrequencies MakeMropeFrequencies(const TextConfig& config);

// Interleaved M-RoPE angles (spec §5.3) for tokens with 3-axis positions.
// out: [S, head_dim/2] angles phi_k = pos_axis(k) * inv_freq[k] (float32).
// pos: [3, S] as in TextPositions::ids (or three equal rows for decode tokens).
void MropeAngles(const MropeFrequencies& freq, std::span<const int32_t> pos, int64_t length, float* out);

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
