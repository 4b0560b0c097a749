#include "corgi/model/qwen2_5vl/weights.h"

namespace corgi::qwen2_5vl {

namespace {

// Builds specs and hands each to the visitor with its target view.
class Walker {
 public:
  explicit Walker(const WeightVisitor& visit) : visit_(visit) {}
  WeightPart part = WeightPart::kTextDecoder;

  void Tensor(const std::string& name, Shape shape, WeightInit init, int64_t fan_in,
              TensorView* target, bool required = true) {
    WeightSpec spec;
    spec.name = name;
    spec.shape = shape;
    spec.required = required;
    spec.part = part;
    spec.init = init;
    spec.fan_in = fan_in;
    visit_(spec, target);
  }
  void Linear(const std::string& name, int64_t out, int64_t in, bool bias,
              qwen2_5vl::Linear* target) {
    Tensor(name + ".weight", Shape{out, in}, WeightInit::kLinear, in, &target->weight);
    if (bias) Tensor(name + ".bias", Shape{out}, WeightInit::kBias, in, &target->bias);
  }
  void RmsNorm(const std::string& name, int64_t width, TensorView* target) {
    Tensor(name + ".weight", Shape{width}, WeightInit::kNormWeight, 0, target);
  }

 private:
  const WeightVisitor& visit_;
};

void VisitVision(const VisionConfig& v, VisionWeights* w, Walker& b) {
  const int64_t hv = v.hidden_size, merged = hv * v.spatial_merge_size * v.spatial_merge_size;
  const int64_t patch_in = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size;
  const std::string p = "visual.";
  b.part = WeightPart::kVisionTower;
  b.Tensor(p + "patch_embed.proj.weight",
           Shape{hv, v.in_channels, v.temporal_patch_size, v.patch_size, v.patch_size},
           WeightInit::kLinear, patch_in, &w->patch_embed);
  w->blocks.resize(v.depth);
  for (int64_t i = 0; i < v.depth; ++i) {
    const std::string blk = p + "blocks." + std::to_string(i) + ".";
    VisionBlock& block = w->blocks[i];
    b.RmsNorm(blk + "norm1", hv, &block.norm1);
    b.RmsNorm(blk + "norm2", hv, &block.norm2);
    b.Linear(blk + "attn.qkv", 3 * hv, hv, true, &block.qkv);
    b.Linear(blk + "attn.proj", hv, hv, true, &block.proj);
    b.Linear(blk + "mlp.gate_proj", v.intermediate_size, hv, true, &block.gate);
    b.Linear(blk + "mlp.up_proj", v.intermediate_size, hv, true, &block.up);
    b.Linear(blk + "mlp.down_proj", hv, v.intermediate_size, true, &block.down);
  }
  b.part = WeightPart::kVisionMerger;
  b.RmsNorm(p + "merger.ln_q", hv, &w->merger_norm);
  b.Linear(p + "merger.mlp.0", merged, merged, true, &w->merger_fc1);
  b.Linear(p + "merger.mlp.2", v.out_hidden_size, merged, true, &w->merger_fc2);
}

void VisitText(const ModelConfig& c, TextWeights* w, Walker& b) {
  const TextConfig& t = c.text;
  const int64_t d = t.hidden_size, q_width = t.num_attention_heads * t.head_dim;
  const int64_t kv_width = t.num_key_value_heads * t.head_dim;
  b.part = WeightPart::kEmbedding;
  b.Tensor("model.embed_tokens.weight", Shape{t.vocab_size, d}, WeightInit::kEmbedding, 0,
           &w->embed_tokens);
  b.part = WeightPart::kTextDecoder;
  w->layers.resize(t.num_hidden_layers);
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".";
    TextLayer& layer = w->layers[i];
    b.RmsNorm(l + "input_layernorm", d, &layer.input_norm);
    b.Linear(l + "self_attn.q_proj", q_width, d, true, &layer.q);
    b.Linear(l + "self_attn.k_proj", kv_width, d, true, &layer.k);
    b.Linear(l + "self_attn.v_proj", kv_width, d, true, &layer.v);
    b.Linear(l + "self_attn.o_proj", d, q_width, false, &layer.o);
    b.RmsNorm(l + "post_attention_layernorm", d, &layer.post_norm);
    b.Linear(l + "mlp.gate_proj", t.intermediate_size, d, false, &layer.gate);
    b.Linear(l + "mlp.up_proj", t.intermediate_size, d, false, &layer.up);
    b.Linear(l + "mlp.down_proj", d, t.intermediate_size, false, &layer.down);
  }
  b.RmsNorm("model.norm", d, &w->final_norm);
  b.part = WeightPart::kLmHead;
  // Tied checkpoints (3B) omit lm_head; the embedding serves.
  b.Tensor("lm_head.weight", Shape{t.vocab_size, d}, WeightInit::kEmbedding, 0, &w->lm_head,
           !c.tie_word_embeddings);
}

// The transformers-v5 spelling of a release name ("model.visual.", "model.language_model.").
std::string V5Name(const std::string& name) {
  const std::string vis = "visual.", text = "model.";
  if (name.compare(0, vis.size(), vis) == 0) return "model." + name;
  if (name.compare(0, text.size(), text) == 0)
    return "model.language_model." + name.substr(text.size());
  return name;
}

}  // namespace

void VisitWeights(const ModelConfig& config, Weights* weights, const WeightVisitor& visit) {
  Walker walker(visit);
  VisitVision(config.vision, &weights->vision, walker);
  VisitText(config, &weights->text, walker);
}

std::vector<WeightSpec> WeightTable(const ModelConfig& config) {
  std::vector<WeightSpec> table;
  Weights unused;
  VisitWeights(config, &unused,
               [&](const WeightSpec& spec, TensorView*) { table.push_back(spec); });
  return table;
}

const TensorInfo* FindWeight(const TensorStore& store, const std::string& name) {
  if (const TensorInfo* info = store.Find(name)) return info;
  const std::string v5 = V5Name(name);
  return v5 == name ? nullptr : store.Find(v5);
}

Status ValidateCheckpoint(const TensorStore& store, const ModelConfig& config,
                          std::vector<std::string>* unknown) {
  return ValidateWeights(store, WeightTable(config), FindWeight, unknown);
}

StatusOr<Weights> BindWeights(const TensorStore& store, const ModelConfig& config, WeightBinder* binder) {
  CORGI_RETURN_IF_ERROR(ValidateCheckpoint(store, config, nullptr));
  Weights w;
  const bool tied = config.tie_word_embeddings;
  VisitWeights(config, &w, [&](const WeightSpec& spec, TensorView* target) {
    // A tied checkpoint uses the embedding even if it stores lm_head, as HF ties the two:
    // do not bind (or quantize) the stored one for nothing.
    if (!(tied && spec.part == WeightPart::kLmHead)) binder->BindInto(spec, target);
  });
  CORGI_RETURN_IF_ERROR(binder->status());
  if (w.text.lm_head.data == nullptr) w.text.lm_head = w.text.embed_tokens;
  // The Conv3d kernel [Hv, C, T, P, P] read as a matrix [Hv, C*T*P*P].
  const VisionConfig& v = config.vision;
  w.vision.patch_embed.shape =
      Shape{v.hidden_size, v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size};
  w.vision.patch_embed.strides = ContiguousStrides(w.vision.patch_embed.shape);
  return w;
}

}  // namespace corgi::qwen2_5vl
