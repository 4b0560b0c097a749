#include "corgi/model/qwen3vl/positions.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "model/vision_blocks.h"

namespace corgi::qwen3vl {
namespace {

MropeLayout Layout(const TextConfig& config) {
  return config.mrope_interleaved ? MropeLayout::kInterleaved : MropeLayout::kChunked;
}

}  // namespace

int MropeAxis(const TextConfig& config, int64_t k) {
  return corgi::MropeAxis(config.mrope_section, Layout(config), k);
}

MropeFrequencies MakeMropeFrequencies(const TextConfig& config) {
  return corgi::MakeMropeFrequencies(config.head_dim, config.rope_theta, config.mrope_section,
                                     Layout(config));
}

void VisionRotaryAngles(const ImageGrid& grid, int64_t head_dim, int64_t merge_size, float* out) {
  // HF Qwen3VLVisionRotaryEmbedding(dim = head_dim/2, theta 10000).
  model_internal::VisionRotaryAngles(grid, head_dim, merge_size, 10000.0f, out);
}

PositionInterpolation InterpolatePositions(const ImageGrid& grid, int64_t num_grid_per_side, int64_t merge_size) {
  const int64_t n = num_grid_per_side, h = grid.h, w = grid.w;
  // Per-axis taps as transformers 5.x computes them (vision_utils, align_corners=True):
  // src = i*(n-1)/max(size-1, 1) in float32, taps floor and floor+1 (clamped), weights
  // 1-|src-floor| and 1-|src-floor-1|. (4.57 used torch.linspace; the two differ in the
  // last bit of a few coordinates.)
  struct Taps {
    int64_t t0, t1;
    float w0, w1;
  };
  auto axis = [n](int64_t size) {
    std::vector<Taps> taps(size);
    const float denom = static_cast<float>(std::max<int64_t>(size - 1, 1));
    for (int64_t i = 0; i < size; ++i) {
      const float src = static_cast<float>(i) * static_cast<float>(n - 1) / denom;
      const float floor = std::floor(src);
      const int64_t f = static_cast<int64_t>(floor);
      const float frac = src - floor;
      taps[i] = {std::min(f, n - 1), std::min(f + 1, n - 1), 1.0f - std::fabs(frac), 1.0f - std::fabs(frac - 1.0f)};
    }
    return taps;
  };
  const std::vector<Taps> rows = axis(h), cols = axis(w);
  std::vector<int32_t> raster_index(h * w * 4);
  std::vector<float> raster_weight(h * w * 4);
  for (int64_t i = 0; i < h; ++i) {
    for (int64_t j = 0; j < w; ++j) {
      const Taps& r = rows[i];
      const Taps& c = cols[j];
      int32_t* idx = &raster_index[(i * w + j) * 4];
      float* wt = &raster_weight[(i * w + j) * 4];
      idx[0] = static_cast<int32_t>(r.t0 * n + c.t0);
      idx[1] = static_cast<int32_t>(r.t0 * n + c.t1);
      idx[2] = static_cast<int32_t>(r.t1 * n + c.t0);
      idx[3] = static_cast<int32_t>(r.t1 * n + c.t1);
      wt[0] = r.w0 * c.w0;
      wt[1] = r.w0 * c.w1;
      wt[2] = r.w1 * c.w0;
      wt[3] = r.w1 * c.w1;
    }
  }
  // Permute into merge-block order, repeated per frame.
  PositionInterpolation out;
  out.index.reserve(grid.patches() * 4);
  out.weight.reserve(grid.patches() * 4);
  const int64_t mh = h / merge_size, mw = w / merge_size;
  for (int64_t f = 0; f < grid.t; ++f)
    for (int64_t by = 0; by < mh; ++by)
      for (int64_t bx = 0; bx < mw; ++bx)
        for (int64_t dy = 0; dy < merge_size; ++dy)
          for (int64_t dx = 0; dx < merge_size; ++dx) {
            const int64_t r = (by * merge_size + dy) * w + (bx * merge_size + dx);
            for (int c = 0; c < 4; ++c) {
              out.index.push_back(raster_index[r * 4 + c]);
              out.weight.push_back(raster_weight[r * 4 + c]);
            }
          }
  return out;
}

}  // namespace corgi::qwen3vl
