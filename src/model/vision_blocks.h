// Private to the model layer: the parts of a Qwen-VL vision tower both families share —
// the 2-D rotary angles of a patch grid and the rotary self-attention sublayer of a block.
// The families keep their norms (LayerNorm vs RMSNorm), MLPs, patch order (merge blocks
// vs windows) and mergers. Float math in transformers' order. Thread-safe; buffers are
// the caller's.
#pragma once

#include <cstdint>
#include <span>

#include "corgi/core/thread_pool.h"
#include "corgi/model/decoder_weights.h"
#include "corgi/model/image_grid.h"

namespace corgi::model_internal {

// Vision 2-D rotary angles for one image, patches in merge-block order (frames, then
// merge blocks row-major, then the block's patches row-major).
// out [grid.patches(), head_dim/2]: slots [0, head_dim/4) are the patch row times
// inv_freq, the rest the column times inv_freq; inv_freq[k] = 1 / theta^(4k / head_dim)
// in float32.
void VisionRotaryAngles(const ImageGrid& grid, int64_t head_dim, int64_t merge_size, float theta,
                        float* out);

// x [np, hv] += proj(attention(rope(q), rope(k), v)), q|k|v = qkv(norm) per row, heads of
// hv / heads, attention within the segments of `cu_seqlens` (patch offsets) using the
// rotary tables cos/sin [np, head_dim/2]. `norm` [np, hv] holds the normed input and is
// overwritten; qkv_buf [np, 3hv] and attn_buf [np, hv] are scratch.
void VisionAttentionSublayer(const Linear& qkv, const Linear& proj, int64_t np, int64_t hv,
                             int64_t heads, std::span<const int64_t> cu_seqlens, const float* cos,
                             const float* sin, float* norm, float* qkv_buf, float* attn_buf,
                             float* x, ThreadPool* pool);

}  // namespace corgi::model_internal
