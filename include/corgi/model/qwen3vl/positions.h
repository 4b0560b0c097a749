// Position bookkeeping for Qwen3-VL: the decoder's 3-axis (t, h, w) position ids and
// rope delta (spec §5.4), the interleaved M-RoPE angles (§5.3), the vision tower's 2-D
// rotary angles (§4 step 3) and its bilinear position-embedding interpolation (§4 step 2).
// All float math is float32 in the order Hugging Face uses, so tables match bit for bit.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/io/model_config.h"

namespace corgi::qwen3vl {

// An image's patch grid (grid_thw): t temporal patches, h x w patches of 16 px.
struct ImageGrid {
  int64_t t = 1, h = 0, w = 0;
  int64_t patches() const { return t * h * w; }
  // Decoder tokens after the 2x2 merge.
  int64_t merged_tokens(int64_t merge) const { return t * (h / merge) * (w / merge); }
};

struct TextPositions {
  // [3, S]: row 0 = t, row 1 = h, row 2 = w positions of each token.
  std::vector<int32_t> ids;
  int64_t length = 0;
  // (max position + 1) - length; <= 0 with images. Generated token n gets n + rope_delta.
  int64_t rope_delta = 0;
  int32_t t(int64_t i) const { return ids[i]; }
  int32_t h(int64_t i) const { return ids[length + i]; }
  int32_t w(int64_t i) const { return ids[2 * length + i]; }
};

// Walks `tokens`: text tokens advance one position on all axes; each run of image
// tokens takes the next grid and gets (s + frame, s + row, s + col) over the merged grid,
// after which s = max position + 1. InvalidArgument when the number of image tokens in a
// run differs from its grid's merged token count, or runs and grids differ in number.
StatusOr<TextPositions> ComputeTextPositions(std::span<const int32_t> tokens, int32_t image_token_id,
                                             std::span<const ImageGrid> grids, int64_t merge_size);

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
