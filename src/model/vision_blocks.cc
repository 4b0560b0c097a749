#include "model/vision_blocks.h"

#include <cmath>
#include <vector>

#include "corgi/backend/ops.h"

namespace corgi::model_internal {

void VisionRotaryAngles(const ImageGrid& grid, int64_t head_dim, int64_t merge_size, float theta,
                        float* out) {
  // transformers' VisionRotaryEmbedding(dim = head_dim/2, theta):
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

void VisionAttentionSublayer(const Linear& qkv, const Linear& proj, int64_t np, int64_t hv,
                             int64_t heads, std::span<const int64_t> cu_seqlens, const float* cos,
                             const float* sin, float* norm, float* qkv_buf, float* attn_buf,
                             float* x, ThreadPool* pool) {
  const int64_t hd = hv / heads;
  ops::MatMul(norm, np, qkv.weight, qkv.bias, qkv_buf, pool);  // [Np, 3Hv]
  float* q = qkv_buf;
  float* k = q + hv;
  const float* val = q + 2 * hv;
  ops::ApplyRotary(q, np, heads, hd, 3 * hv, cos, sin, pool);
  ops::ApplyRotary(k, np, heads, hd, 3 * hv, cos, sin, pool);
  ops::AttentionParams params;
  params.num_heads = heads;
  params.num_kv_heads = heads;
  params.head_dim = hd;
  params.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  ops::AttentionSegments({q, 3 * hv}, {k, 3 * hv}, {val, 3 * hv}, cu_seqlens.data(),
                         static_cast<int64_t>(cu_seqlens.size()) - 1, params, {attn_buf, hv}, pool);
  ops::MatMul(attn_buf, np, proj.weight, proj.bias, norm, pool);
  ops::Add(x, norm, x, np * hv, pool);
}

}  // namespace corgi::model_internal
