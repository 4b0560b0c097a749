// Private: the one list of Qwen3-VL checkpoint tensors. WalkWeights visits every tensor in
// checkpoint order with its spec and the TensorView of `Weights` it binds to, so the table
// (validation, make-model, inspect) and the binding are the same walk and a name is
// spelled once.
#pragma once

#include <string>

#include "corgi/model/qwen3vl/weights.h"
#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {

// Calls visit(const WeightSpec& spec, TensorView* slot) for every tensor; `w`'s vectors
// (blocks, deepstack mergers, layers) are sized to the config first. slot is never null.
template <class Visit>
void WalkWeights(const ModelConfig& c, Weights* w, Visit&& visit) {
  WeightPart part = WeightPart::kTextDecoder;
  auto add = [&](const std::string& name, Shape shape, WeightInit init, int64_t fan_in, TensorView* slot,
                 bool required = true) {
    WeightSpec spec;
    spec.name = name;
    spec.shape = shape;
    spec.required = required;
    spec.part = part;
    spec.init = init;
    spec.fan_in = fan_in;
    visit(static_cast<const WeightSpec&>(spec), slot);
  };
  auto linear = [&](const std::string& name, int64_t out, int64_t in, bool bias, Linear* l) {
    add(name + ".weight", Shape{out, in}, WeightInit::kLinear, in, &l->weight);
    if (bias) add(name + ".bias", Shape{out}, WeightInit::kBias, in, &l->bias);
  };
  auto rms_norm = [&](const std::string& name, int64_t width, TensorView* weight) {
    add(name + ".weight", Shape{width}, WeightInit::kNormWeight, 0, weight);
  };
  auto layer_norm = [&](const std::string& name, int64_t width, Norm* n) {
    add(name + ".weight", Shape{width}, WeightInit::kNormWeight, 0, &n->weight);
    add(name + ".bias", Shape{width}, WeightInit::kNormBias, 0, &n->bias);
  };

  const VisionConfig& v = c.vision;
  VisionWeights& vw = w->vision;
  const int64_t hv = v.hidden_size, merged = hv * v.spatial_merge_size * v.spatial_merge_size;
  const int64_t patch_in = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size;
  const std::string vp = "model.visual.";
  part = WeightPart::kVisionTower;
  // Conv3d weight [Hv, C, T, P, P]; bound as a [Hv, C*T*P*P] matrix (spec §2.1).
  add(vp + "patch_embed.proj.weight", Shape{hv, v.in_channels, v.temporal_patch_size, v.patch_size, v.patch_size},
      WeightInit::kLinear, patch_in, &vw.patch_embed.weight);
  add(vp + "patch_embed.proj.bias", Shape{hv}, WeightInit::kBias, patch_in, &vw.patch_embed.bias);
  add(vp + "pos_embed.weight", Shape{v.num_position_embeddings, hv}, WeightInit::kPositionTable, 0, &vw.pos_embed);
  vw.blocks.resize(v.depth);
  for (int64_t i = 0; i < v.depth; ++i) {
    const std::string blk = vp + "blocks." + std::to_string(i) + ".";
    VisionBlock& b = vw.blocks[i];
    layer_norm(blk + "norm1", hv, &b.norm1);
    layer_norm(blk + "norm2", hv, &b.norm2);
    linear(blk + "attn.qkv", 3 * hv, hv, true, &b.qkv);
    linear(blk + "attn.proj", hv, hv, true, &b.proj);
    linear(blk + "mlp.linear_fc1", v.intermediate_size, hv, true, &b.fc1);
    linear(blk + "mlp.linear_fc2", hv, v.intermediate_size, true, &b.fc2);
  }
  part = WeightPart::kVisionMerger;
  layer_norm(vp + "merger.norm", hv, &vw.merger.norm);  // per patch, before the 2x2 concat
  linear(vp + "merger.linear_fc1", merged, merged, true, &vw.merger.fc1);
  linear(vp + "merger.linear_fc2", v.out_hidden_size, merged, true, &vw.merger.fc2);
  part = WeightPart::kDeepStack;
  vw.deepstack.resize(v.deepstack_visual_indexes.size());
  for (size_t k = 0; k < v.deepstack_visual_indexes.size(); ++k) {
    const std::string ds = vp + "deepstack_merger_list." + std::to_string(k) + ".";
    Merger& m = vw.deepstack[k];
    layer_norm(ds + "norm", merged, &m.norm);  // after the 2x2 concat
    linear(ds + "linear_fc1", merged, merged, true, &m.fc1);
    linear(ds + "linear_fc2", v.out_hidden_size, merged, true, &m.fc2);
  }

  const TextConfig& t = c.text;
  TextWeights& tw = w->text;
  const std::string tp = "model.language_model.";
  const int64_t q_width = t.num_attention_heads * t.head_dim;
  const int64_t kv_width = t.num_key_value_heads * t.head_dim;
  part = WeightPart::kEmbedding;
  add(tp + "embed_tokens.weight", Shape{t.vocab_size, t.hidden_size}, WeightInit::kEmbedding, 0, &tw.embed_tokens);
  part = WeightPart::kTextDecoder;
  tw.layers.resize(t.num_hidden_layers);
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    const std::string l = tp + "layers." + std::to_string(i) + ".";
    TextLayer& y = tw.layers[i];
    rms_norm(l + "input_layernorm", t.hidden_size, &y.input_norm);
    linear(l + "self_attn.q_proj", q_width, t.hidden_size, t.attention_bias, &y.q);
    linear(l + "self_attn.k_proj", kv_width, t.hidden_size, t.attention_bias, &y.k);
    linear(l + "self_attn.v_proj", kv_width, t.hidden_size, t.attention_bias, &y.v);
    linear(l + "self_attn.o_proj", t.hidden_size, q_width, false, &y.o);
    rms_norm(l + "self_attn.q_norm", t.head_dim, &y.q_norm);
    rms_norm(l + "self_attn.k_norm", t.head_dim, &y.k_norm);
    rms_norm(l + "post_attention_layernorm", t.hidden_size, &y.post_norm);
    linear(l + "mlp.gate_proj", t.intermediate_size, t.hidden_size, false, &y.gate);
    linear(l + "mlp.up_proj", t.intermediate_size, t.hidden_size, false, &y.up);
    linear(l + "mlp.down_proj", t.hidden_size, t.intermediate_size, false, &y.down);
  }
  rms_norm(tp + "norm", t.hidden_size, &tw.final_norm);
  part = WeightPart::kLmHead;
  // Tied checkpoints (2B/4B) usually omit lm_head; the embedding serves (spec §2.3).
  add("lm_head.weight", Shape{t.vocab_size, t.hidden_size}, WeightInit::kEmbedding, 0, &tw.lm_head,
      !c.tie_word_embeddings);
}

}  // namespace corgi::qwen3vl
