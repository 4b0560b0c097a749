// Position bookkeeping for Qwen2.5-VL's two towers: the vision tower's window layout
// (which merged tokens attend together) and 2-D rotary angles, and the decoder's chunked
// (not interleaved) M-RoPE angles. The decoder's 3-axis position ids are the shared
// ComputeMropePositions (model/mrope_positions.h): Qwen2.5-VL places image tokens the
// same way as Qwen3-VL. All float math is float32 in the order transformers uses, so the
// tables match bit for bit. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/model/image_grid.h"
#include "corgi/model/mrope_rotary.h"
#include "corgi/model/qwen2_5vl/config.h"

namespace corgi::qwen2_5vl {

// The vision tower's window attention (transformers' get_window_index). Each image frame's
// merged grid (h/merge x w/merge tokens) is cut into windows of `window_merged` x
// `window_merged` tokens from the top-left; windows at the right and bottom edges are
// partial. The tower runs with its patches in window order: windows in row-major order,
// each window's tokens in row-major order, frames and images one after another.
struct WindowLayout {
  // [tokens]: order[slot] = the merged token (input order, counted over all images) at
  // window-order position `slot`. A permutation of [0, tokens).
  std::vector<int64_t> order;
  // Patch offsets of the windows in window order: [0, end of window 0, ...] (empty windows
  // never appear). The attention segments of the windowed blocks.
  std::vector<int64_t> cu_windows;
  // Patch offsets of the frames: the attention segments of the full-attention blocks.
  std::vector<int64_t> cu_frames;
};
// Grids must have h and w divisible by merge_size; window_merged >= 1.
WindowLayout MakeWindowLayout(std::span<const ImageGrid> grids, int64_t merge_size,
                              int64_t window_merged);

// Vision 2-D rotary angles for one image, patches in merge-block (input) order.
// out: [grid.patches(), head_dim/2]: slots [0, head_dim/4) are the patch row times
// inv_freq, the rest the column times inv_freq, inv_freq[k] = 1 / theta^(4k / head_dim)
// (theta 10000 in every release).
void VisionRotaryAngles(const ImageGrid& grid, int64_t head_dim, int64_t merge_size, float theta,
                        float* out);

// The decoder rotary's per-slot inverse frequencies (theta^(-2k/head_dim)) and position
// axes, chunked (0 = t for k < s0, 1 = h for k < s0 + s1, else 2 = w), computed once per
// model. The angles are corgi::MropeAngles (model/mrope_rotary.h): out [S, head_dim/2],
// angle of slot k = float(pos[axis(k)][i]) * inv_freq[k], pos [3, S] (t, h, w rows).
using corgi::MropeAngles;
using corgi::MropeFrequencies;
MropeFrequencies MakeMropeFrequencies(const TextConfig& config);

}  // namespace corgi::qwen2_5vl
