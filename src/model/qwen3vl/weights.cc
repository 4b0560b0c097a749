#include "corgi/model/qwen3vl/weights.h"

#include <string>

#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {
namespace {

class Binder {
 public:
  Binder(const TensorStore& store) : store_(store) {}

  TensorView Get(const std::string& name) {
    const TensorInfo* info = FindWeight(store_, name);
    if (info == nullptr) return TensorView();  // optional tensor (validated beforehand)
    return store_.View(*info);
  }
  Linear GetLinear(const std::string& prefix, bool bias) {
    return Linear{Get(prefix + ".weight"), bias ? Get(prefix + ".bias") : TensorView()};
  }
  Norm GetNorm(const std::string& prefix, bool bias) {
    return Norm{Get(prefix + ".weight"), bias ? Get(prefix + ".bias") : TensorView()};
  }
  Merger GetMerger(const std::string& prefix) {
    return Merger{GetNorm(prefix + ".norm", true), GetLinear(prefix + ".linear_fc1", true),
                  GetLinear(prefix + ".linear_fc2", true)};
  }

 private:
  const TensorStore& store_;
};

VisionWeights BindVision(Binder& b, const VisionConfig& v) {
  const std::string p = "model.visual.";
  VisionWeights w;
  w.patch_embed = b.GetLinear(p + "patch_embed.proj", true);
  // The Conv3d kernel [Hv, C, T, P, P] read as a matrix [Hv, C*T*P*P] (spec §2.1).
  w.patch_embed.weight.shape = Shape{v.hidden_size, v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size};
  w.patch_embed.weight.strides = ContiguousStrides(w.patch_embed.weight.shape);
  w.pos_embed = b.Get(p + "pos_embed.weight");
  for (int64_t i = 0; i < v.depth; ++i) {
    const std::string blk = p + "blocks." + std::to_string(i) + ".";
    VisionBlock block;
    block.norm1 = b.GetNorm(blk + "norm1", true);
    block.norm2 = b.GetNorm(blk + "norm2", true);
    block.qkv = b.GetLinear(blk + "attn.qkv", true);
    block.proj = b.GetLinear(blk + "attn.proj", true);
    block.fc1 = b.GetLinear(blk + "mlp.linear_fc1", true);
    block.fc2 = b.GetLinear(blk + "mlp.linear_fc2", true);
    w.blocks.push_back(block);
  }
  w.merger = b.GetMerger(p + "merger");
  for (size_t k = 0; k < v.deepstack_visual_indexes.size(); ++k)
    w.deepstack.push_back(b.GetMerger(p + "deepstack_merger_list." + std::to_string(k)));
  return w;
}

TextWeights BindText(Binder& b, const TextConfig& t, bool tied) {
  const std::string p = "model.language_model.";
  TextWeights w;
  w.embed_tokens = b.Get(p + "embed_tokens.weight");
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    const std::string l = p + "layers." + std::to_string(i) + ".";
    TextLayer layer;
    layer.input_norm = b.GetNorm(l + "input_layernorm", false);
    layer.q = b.GetLinear(l + "self_attn.q_proj", t.attention_bias);
    layer.k = b.GetLinear(l + "self_attn.k_proj", t.attention_bias);
    layer.v = b.GetLinear(l + "self_attn.v_proj", t.attention_bias);
    layer.o = b.GetLinear(l + "self_attn.o_proj", false);
    layer.q_norm = b.GetNorm(l + "self_attn.q_norm", false);
    layer.k_norm = b.GetNorm(l + "self_attn.k_norm", false);
    layer.post_norm = b.GetNorm(l + "post_attention_layernorm", false);
    layer.gate = b.GetLinear(l + "mlp.gate_proj", false);
    layer.up = b.GetLinear(l + "mlp.up_proj", false);
    layer.down = b.GetLinear(l + "mlp.down_proj", false);
    w.layers.push_back(layer);
  }
  w.final_norm = b.GetNorm(p + "norm", false);
  // Tied checkpoints use the embedding even if an lm_head tensor is stored, as HF ties
  // the two after loading (spec §2.3).
  w.lm_head = tied ? TensorView() : b.Get("lm_head.weight");
  if (w.lm_head.data == nullptr) w.lm_head = w.embed_tokens;
  return w;
}

}  // namespace

StatusOr<Weights> BindWeights(const TensorStore& store, const ModelConfig& config) {
  CORGI_RETURN_IF_ERROR(ValidateCheckpoint(store, config, nullptr));
  Binder binder(store);
  Weights w;
  w.vision = BindVision(binder, config.vision);
  w.text = BindText(binder, config.text, config.tie_word_embeddings);
  return w;
}

}  // namespace corgi::qwen3vl
