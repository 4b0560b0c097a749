#include "corgi/model/qwen2_5vl/positions.h"

#include <algorithm>
#include <cmath>

#include "model/vision_blocks.h"

namespace corgi::qwen2_5vl {

WindowLayout MakeWindowLayout(std::span<const ImageGrid> grids, int64_t merge_size,
                              int64_t window_merged) {
  const int64_t unit = merge_size * merge_size, side = window_merged;
  WindowLayout out;
  out.cu_windows = {0};
  out.cu_frames = {0};
  int64_t base = 0;  // merged tokens of the images before this one
  for (const ImageGrid& g : grids) {
    const int64_t mh = g.h / merge_size, mw = g.w / merge_size;
    const int64_t windows_h = (mh + side - 1) / side, windows_w = (mw + side - 1) / side;
    for (int64_t f = 0; f < g.t; ++f) {
      const int64_t frame = base + f * mh * mw;
      for (int64_t wy = 0; wy < windows_h; ++wy) {
        for (int64_t wx = 0; wx < windows_w; ++wx) {
          const int64_t y_end = std::min(mh, (wy + 1) * side),
                        x_end = std::min(mw, (wx + 1) * side);
          for (int64_t y = wy * side; y < y_end; ++y)
            for (int64_t x = wx * side; x < x_end; ++x) out.order.push_back(frame + y * mw + x);
          out.cu_windows.push_back(out.cu_windows.back() +
                                   (y_end - wy * side) * (x_end - wx * side) * unit);
        }
      }
      out.cu_frames.push_back(out.cu_frames.back() + g.h * g.w);
    }
    base += g.t * mh * mw;
  }
  return out;
}

void VisionRotaryAngles(const ImageGrid& grid, int64_t head_dim, int64_t merge_size, float theta,
                        float* out) {
  model_internal::VisionRotaryAngles(grid, head_dim, merge_size, theta, out);
}

MropeFrequencies MakeMropeFrequencies(const TextConfig& config) {
  return corgi::MakeMropeFrequencies(config.head_dim, config.rope_theta, config.mrope_section,
                                     MropeLayout::kChunked);
}

}  // namespace corgi::qwen2_5vl
