#include "corgi/model/qwen2_5vl/positions.h"

#include <algorithm>
#include <cmath>

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
  // transformers' Qwen2_5_VisionRotaryEmbedding(dim = head_dim/2, theta):
  // inv_freq[k] = 1 / theta^(2k/dim) in float32; a patch's angles are [row*inv, col*inv].
  const int64_t dim = head_dim / 2, quarter = dim / 2;
  std::vector<float> inv(quarter);
  for (int64_t k = 0; k < quarter; ++k)
    inv[k] = 1.0f / std::pow(theta, static_cast<float>(2 * k) / static_cast<float>(dim));
  const int64_t mh = grid.h / merge_size, mw = grid.w / merge_size;
  float* row_out = out;
  for (int64_t f = 0; f < grid.t; ++f)
    for (int64_t by = 0; by < mh; ++by)
      for (int64_t bx = 0; bx < mw; ++bx)
        for (int64_t dy = 0; dy < merge_size; ++dy)
          for (int64_t dx = 0; dx < merge_size; ++dx, row_out += dim) {
            const float r = static_cast<float>(by * merge_size + dy),
                        c = static_cast<float>(bx * merge_size + dx);
            for (int64_t k = 0; k < quarter; ++k) {
              row_out[k] = r * inv[k];
              row_out[quarter + k] = c * inv[k];
            }
          }
}

MropeFrequencies MakeMropeFrequencies(const TextConfig& config) {
  return corgi::MakeMropeFrequencies(config.head_dim, config.rope_theta, config.mrope_section,
                                     MropeLayout::kChunked);
}

}  // namespace corgi::qwen2_5vl
