#include "corgi/model/qwen3vl/vision.h"

#include <cmath>
#include <string>

#include "corgi/backend/ops.h"
#include "model/vision_blocks.h"

namespace corgi::qwen3vl {
namespace {

// Adds the interpolated position embedding to `x` [Np, Hv] (spec §4 step 2). The four
// corner products are summed in HF's order, ((p0 + p1) + p2) + p3, in float32.
void AddPositionEmbedding(const VisionConfig& v, const TensorView& table, std::span<const ImageGrid> grids,
                          float* x, float* scratch_pe) {
  const int64_t hv = v.hidden_size;
  const int64_t side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(v.num_position_embeddings))));
  std::vector<float> rows(4 * hv);
  int64_t row = 0;
  for (const ImageGrid& g : grids) {
    PositionInterpolation interp = InterpolatePositions(g, side, v.spatial_merge_size);
    for (int64_t p = 0; p < g.patches(); ++p, ++row) {
      for (int c = 0; c < 4; ++c) {
        const TensorView r = table.Slice0(interp.index[p * 4 + c]);
        ops::ConvertToF32(r.data, r.dtype, hv, rows.data() + c * hv);
      }
      const float* w = &interp.weight[p * 4];
      float* pe = scratch_pe + row * hv;
      for (int64_t j = 0; j < hv; ++j) {
        float sum = rows[j] * w[0] + rows[hv + j] * w[1];
        sum = sum + rows[2 * hv + j] * w[2];
        pe[j] = sum + rows[3 * hv + j] * w[3];
      }
    }
  }
}

// cos/sin [Np, hd/2] of the vision 2-D rotary for all images.
void RotaryTables(const VisionConfig& v, std::span<const ImageGrid> grids, std::vector<float>* cos_table,
                  std::vector<float>* sin_table) {
  const int64_t hd = v.hidden_size / v.num_heads, half = hd / 2;
  int64_t np = 0;
  for (const ImageGrid& g : grids) np += g.patches();
  cos_table->resize(np * half);
  sin_table->resize(np * half);
  std::vector<float> angles;
  int64_t row = 0;
  for (const ImageGrid& g : grids) {
    angles.resize(g.patches() * half);
    VisionRotaryAngles(g, hd, v.spatial_merge_size, angles.data());
    for (int64_t i = 0; i < g.patches() * half; ++i) {
      (*cos_table)[row * half + i] = std::cos(angles[i]);
      (*sin_table)[row * half + i] = std::sin(angles[i]);
    }
    row += g.patches();
  }
}

struct Scratch {
  std::vector<float> norm, qkv, attn, mlp;
};

// x += proj(attn(norm1(x))); x += fc2(gelu_tanh(fc1(norm2(x)))).
void RunBlock(const VisionConfig& v, const VisionBlock& b, int64_t np, const std::vector<int64_t>& cu_seqlens,
              const std::vector<float>& cos_t, const std::vector<float>& sin_t, float* x, Scratch& s,
              ThreadPool* pool) {
  const int64_t hv = v.hidden_size, heads = v.num_heads;
  const float eps = 1e-6f;
  ops::LayerNorm(x, hv, np, hv, b.norm1.weight, b.norm1.bias, eps, s.norm.data(), hv, pool);
  model_internal::VisionAttentionSublayer(b.qkv, b.proj, np, hv, heads, cu_seqlens, cos_t.data(),
                                          sin_t.data(), s.norm.data(), s.qkv.data(), s.attn.data(), x,
                                          pool);

  ops::LayerNorm(x, hv, np, hv, b.norm2.weight, b.norm2.bias, eps, s.norm.data(), hv, pool);
  ops::MatMul(s.norm.data(), np, b.fc1.weight, b.fc1.bias, s.mlp.data(), pool);  // [Np, Iv]
  ops::GeluTanh(s.mlp.data(), s.mlp.data(), np * v.intermediate_size, pool);
  ops::MatMul(s.mlp.data(), np, b.fc2.weight, b.fc2.bias, s.norm.data(), pool);
  ops::Add(x, s.norm.data(), x, np * hv, pool);
}

// A patch merger over `x` [Np, Hv] -> out [Np/4, D]. post_shuffle_norm: the DeepStack
// variant normalizes the concatenated 4Hv rows instead of each Hv patch.
void RunMerger(const VisionConfig& v, const Merger& m, bool post_shuffle_norm, int64_t np, const float* x,
               float* out, Scratch& s, ThreadPool* pool) {
  const int64_t hv = v.hidden_size, group = v.spatial_merge_size * v.spatial_merge_size;
  const int64_t tokens = np / group, width = hv * group;
  const float eps = 1e-6f;
  if (post_shuffle_norm) {
    ops::LayerNorm(x, width, tokens, width, m.norm.weight, m.norm.bias, eps, s.norm.data(), width, pool);
  } else {
    ops::LayerNorm(x, hv, np, hv, m.norm.weight, m.norm.bias, eps, s.norm.data(), hv, pool);
  }
  // s.norm read as [tokens, 4Hv]: each merged token is 4 consecutive patches (merge-block order).
  ops::MatMul(s.norm.data(), tokens, m.fc1.weight, m.fc1.bias, s.mlp.data(), pool);
  ops::GeluErf(s.mlp.data(), s.mlp.data(), tokens * width, pool);
  ops::MatMul(s.mlp.data(), tokens, m.fc2.weight, m.fc2.bias, out, pool);
}

}  // namespace

StatusOr<VisionOutput> EncodeImages(const ModelConfig& config, const VisionWeights& weights,
                                    const float* pixel_values, std::span<const ImageGrid> grids,
                                    ThreadPool* pool, const StageObserver* observer) {
  const VisionConfig& v = config.vision;
  const int64_t hv = v.hidden_size, merge = v.spatial_merge_size, d = v.out_hidden_size;
  int64_t np = 0;
  std::vector<int64_t> cu_seqlens = {0};
  for (const ImageGrid& g : grids) {
    if (g.t < 1 || g.h <= 0 || g.w <= 0 || g.h % merge || g.w % merge) {
      return InvalidArgumentError("image grid " + std::to_string(g.t) + "x" + std::to_string(g.h) + "x" +
                                  std::to_string(g.w) + " is not a positive multiple of the merge size");
    }
    for (int64_t f = 0; f < g.t; ++f) cu_seqlens.push_back(cu_seqlens.back() + g.h * g.w);
    np += g.patches();
  }
  const int64_t group = merge * merge, tokens = np / group;

  std::vector<float> x(np * hv);
  Scratch s;
  s.norm.resize(np * hv);
  s.qkv.resize(np * 3 * hv);
  s.attn.resize(np * hv);
  s.mlp.resize(np * std::max(v.intermediate_size, hv));  // MLP hidden, or merger fc1 [tokens, 4Hv]

  ops::MatMul(pixel_values, np, weights.patch_embed.weight, weights.patch_embed.bias, x.data(), pool);
  Observe(observer, "vision.patch_embed", x.data(), Shape{np, hv});
  AddPositionEmbedding(v, weights.pos_embed, grids, x.data(), s.norm.data());
  Observe(observer, "vision.pos_embed", s.norm.data(), Shape{np, hv});
  ops::Add(x.data(), s.norm.data(), x.data(), np * hv, pool);

  std::vector<float> cos_t, sin_t;
  RotaryTables(v, grids, &cos_t, &sin_t);

  VisionOutput out;
  out.tokens = tokens;
  out.width = d;
  out.deepstack.resize(v.deepstack_visual_indexes.size());
  for (int64_t i = 0; i < v.depth; ++i) {
    RunBlock(v, weights.blocks[i], np, cu_seqlens, cos_t, sin_t, x.data(), s, pool);
    Observe(observer, "vision.block" + std::to_string(i) + ".out", x.data(), Shape{np, hv});
    for (size_t k = 0; k < v.deepstack_visual_indexes.size(); ++k) {
      if (v.deepstack_visual_indexes[k] != i) continue;
      out.deepstack[k].resize(tokens * d);
      RunMerger(v, weights.deepstack[k], true, np, x.data(), out.deepstack[k].data(), s, pool);
      Observe(observer, "vision.deepstack" + std::to_string(k), out.deepstack[k].data(), Shape{tokens, d});
    }
  }
  out.embeds.resize(tokens * d);
  RunMerger(v, weights.merger, false, np, x.data(), out.embeds.data(), s, pool);
  Observe(observer, "vision.merger", out.embeds.data(), Shape{tokens, d});
  return out;
}

}  // namespace corgi::qwen3vl
