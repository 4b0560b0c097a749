#include "corgi/model/qwen2_5vl/vision.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/model/qwen2_5vl/positions.h"
#include "model/vision_blocks.h"

namespace corgi::qwen2_5vl {
namespace {

constexpr float kEps = 1e-6f;       // every vision RMSNorm (Qwen2RMSNorm(eps=1e-6))
constexpr int64_t kMlpRows = 2048;  // MLP rows per chunk

// dst row-group slot = src row-group order[slot]: groups of `unit` rows of `width` floats.
void Gather(const float* src, const std::vector<int64_t>& order, int64_t unit, int64_t width,
            float* dst) {
  const int64_t group = unit * width;
  for (size_t slot = 0; slot < order.size(); ++slot)
    std::copy_n(src + order[slot] * group, group, dst + static_cast<int64_t>(slot) * group);
}

// The inverse of Gather: dst row-group order[slot] = src row-group slot.
void Scatter(const float* src, const std::vector<int64_t>& order, int64_t unit, int64_t width,
             float* dst) {
  const int64_t group = unit * width;
  for (size_t slot = 0; slot < order.size(); ++slot)
    std::copy_n(src + static_cast<int64_t>(slot) * group, group, dst + order[slot] * group);
}

// cos/sin [Np, hd/2] of the 2-D rotary, in window order.
void RotaryTables(const VisionConfig& v, std::span<const ImageGrid> grids,
                  const WindowLayout& layout, int64_t np, std::vector<float>* cos_table,
                  std::vector<float>* sin_table) {
  const int64_t half = v.head_dim() / 2, unit = v.spatial_merge_size * v.spatial_merge_size;
  std::vector<float> angles(np * half), ordered(np * half);
  int64_t row = 0;
  for (const ImageGrid& g : grids) {
    VisionRotaryAngles(g, v.head_dim(), v.spatial_merge_size, static_cast<float>(v.rope_theta),
                       angles.data() + row * half);
    row += g.patches();
  }
  Gather(angles.data(), layout.order, unit, half, ordered.data());
  cos_table->resize(np * half);
  sin_table->resize(np * half);
  for (int64_t i = 0; i < np * half; ++i) {
    (*cos_table)[i] = std::cos(ordered[i]);
    (*sin_table)[i] = std::sin(ordered[i]);
  }
}

struct Scratch {
  std::vector<float> norm, qkv, attn, gate, up;
};

// x += proj(attn(rope(qkv(norm1(x))))) within the segments of `cu_seqlens`;
// x += down(silu(gate(norm2(x))) * up(norm2(x))).
void RunBlock(const VisionConfig& v, const VisionBlock& b, int64_t np,
              const std::vector<int64_t>& cu_seqlens, const std::vector<float>& cos_t,
              const std::vector<float>& sin_t, float* x, Scratch& s, ThreadPool* pool) {
  const int64_t hv = v.hidden_size, heads = v.num_heads, inter = v.intermediate_size;
  ops::RmsNorm(x, hv, np, hv, b.norm1, kEps, false, s.norm.data(), hv, pool);
  model_internal::VisionAttentionSublayer(b.qkv, b.proj, np, hv, heads, cu_seqlens, cos_t.data(),
                                          sin_t.data(), s.norm.data(), s.qkv.data(), s.attn.data(),
                                          x, pool);

  // The MLP in row chunks: its hidden layer is the largest activation (Iv = 3420 per
  // patch); rows are independent, so chunking changes no bit.
  ops::RmsNorm(x, hv, np, hv, b.norm2, kEps, false, s.norm.data(), hv, pool);
  for (int64_t r0 = 0; r0 < np; r0 += kMlpRows) {
    const int64_t rows = std::min(kMlpRows, np - r0);
    ops::MatMul(s.norm.data() + r0 * hv, rows, b.gate.weight, b.gate.bias, s.gate.data(),
                pool);  // [rows, Iv]
    ops::MatMul(s.norm.data() + r0 * hv, rows, b.up.weight, b.up.bias, s.up.data(), pool);
    ops::SwiGlu(s.gate.data(), s.up.data(), s.gate.data(), rows * inter, pool);
    ops::MatMul(s.gate.data(), rows, b.down.weight, b.down.bias, s.attn.data() + r0 * hv, pool);
  }
  ops::Add(x, s.attn.data(), x, np * hv, pool);
}

Status CheckGrids(const VisionConfig& v, std::span<const ImageGrid> grids, int64_t* np) {
  const int64_t merge = v.spatial_merge_size;
  // Bounds far above any image the preprocessor makes, keeping every size product in range.
  constexpr int64_t kMaxSide = 1 << 16, kMaxPatches = int64_t{1} << 26;
  *np = 0;
  if (grids.empty()) return InvalidArgumentError("no images to encode");
  for (const ImageGrid& g : grids) {
    if (g.t < 1 || g.h <= 0 || g.w <= 0 || g.t > kMaxSide || g.h > kMaxSide || g.w > kMaxSide ||
        g.h % merge || g.w % merge) {
      return InvalidArgumentError("image grid " + std::to_string(g.t) + "x" + std::to_string(g.h) +
                                  "x" + std::to_string(g.w) +
                                  " is not a positive multiple of the merge size (" +
                                  std::to_string(merge) + ")");
    }
    *np += g.patches();
    if (*np > kMaxPatches) return InvalidArgumentError("too many image patches in one call");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<VisionOutput> EncodeImages(const ModelConfig& config, const VisionWeights& weights,
                                    const float* pixel_values, std::span<const ImageGrid> grids,
                                    ThreadPool* pool, const StageObserver* observer) {
  const VisionConfig& v = config.vision;
  const int64_t hv = v.hidden_size, d = v.out_hidden_size;
  const int64_t unit = v.spatial_merge_size * v.spatial_merge_size;
  int64_t np = 0;
  CORGI_RETURN_IF_ERROR(CheckGrids(v, grids, &np));
  const int64_t tokens = np / unit;
  const WindowLayout layout = MakeWindowLayout(grids, v.spatial_merge_size, v.window_merged());

  Scratch s;
  s.norm.resize(np * hv);
  s.qkv.resize(np * 3 * hv);
  s.attn.resize(np * hv);  // also the merger's hidden layer [tokens, merge²·Hv]
  s.gate.resize(std::min(np, kMlpRows) * v.intermediate_size);
  s.up.resize(std::min(np, kMlpRows) * v.intermediate_size);
  std::vector<float> x(np * hv);

  // Patch embedding (input order), then into window order for the blocks.
  ops::MatMul(pixel_values, np, weights.patch_embed, TensorView(), s.norm.data(), pool);
  Observe(observer, "vision.patch_embed", s.norm.data(), Shape{np, hv});
  Gather(s.norm.data(), layout.order, unit, hv, x.data());
  std::vector<float> cos_t, sin_t;
  RotaryTables(v, grids, layout, np, &cos_t, &sin_t);

  for (int64_t i = 0; i < v.depth; ++i) {
    const std::vector<int64_t>& segments =
        v.full_attention(i) ? layout.cu_frames : layout.cu_windows;
    RunBlock(v, weights.blocks[i], np, segments, cos_t, sin_t, x.data(), s, pool);
    if (observer != nullptr && *observer) {
      Scatter(x.data(), layout.order, unit, hv, s.attn.data());
      Observe(observer, "vision.block" + std::to_string(i) + ".out", s.attn.data(), Shape{np, hv});
    }
  }

  // Merger: RMSNorm per patch, merge² consecutive patches as one row, Linear, GELU, Linear.
  const int64_t width = hv * unit;
  ops::RmsNorm(x.data(), hv, np, hv, weights.merger_norm, kEps, false, s.norm.data(), hv, pool);
  ops::MatMul(s.norm.data(), tokens, weights.merger_fc1.weight, weights.merger_fc1.bias,
              s.attn.data(), pool);
  ops::GeluErf(s.attn.data(), s.attn.data(), tokens * width, pool);
  std::vector<float> merged(tokens * d);
  ops::MatMul(s.attn.data(), tokens, weights.merger_fc2.weight, weights.merger_fc2.bias,
              merged.data(), pool);

  VisionOutput out;
  out.tokens = tokens;
  out.width = d;
  out.embeds.resize(tokens * d);
  Scatter(merged.data(), layout.order, 1, d, out.embeds.data());  // back to prompt order
  Observe(observer, "vision.merger", out.embeds.data(), Shape{tokens, d});
  return out;
}

}  // namespace corgi::qwen2_5vl
