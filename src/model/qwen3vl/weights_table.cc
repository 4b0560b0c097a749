#include "corgi/model/qwen3vl/weights_table.h"

#include <set>

namespace corgi::qwen3vl {

const char* WeightPartName(WeightPart part) {
  switch (part) {
    case WeightPart::kVisionTower: return "vision tower";
    case WeightPart::kVisionMerger: return "vision merger";
    case WeightPart::kDeepStack: return "deepstack mergers";
    case WeightPart::kTextDecoder: return "text decoder";
    case WeightPart::kEmbedding: return "token embedding";
    case WeightPart::kLmHead: return "lm_head";
  }
  return "?";
}

namespace {

class TableBuilder {
 public:
  explicit TableBuilder(std::vector<WeightSpec>* out) : out_(out) {}
  WeightPart part = WeightPart::kTextDecoder;

  void Linear(const std::string& name, int64_t out, int64_t in, bool bias) {
    Add(name + ".weight", Shape{out, in}, WeightInit::kLinear, in);
    if (bias) Add(name + ".bias", Shape{out}, WeightInit::kBias, in);
  }
  void RmsNorm(const std::string& name, int64_t width) {
    Add(name + ".weight", Shape{width}, WeightInit::kNormWeight, 0);
  }
  void LayerNorm(const std::string& name, int64_t width) {
    Add(name + ".weight", Shape{width}, WeightInit::kNormWeight, 0);
    Add(name + ".bias", Shape{width}, WeightInit::kNormBias, 0);
  }
  void Add(const std::string& name, Shape shape, WeightInit init, int64_t fan_in, bool required = true) {
    WeightSpec spec;
    spec.name = name;
    spec.shape = shape;
    spec.required = required;
    spec.part = part;
    spec.init = init;
    spec.fan_in = fan_in;
    out_->push_back(spec);
  }

 private:
  std::vector<WeightSpec>* out_;
};

void AddVision(const ModelConfig& c, TableBuilder& b) {
  const VisionConfig& v = c.vision;
  const int64_t hv = v.hidden_size, merged = hv * v.spatial_merge_size * v.spatial_merge_size;
  const int64_t patch_in = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size;
  const std::string p = "model.visual.";
  b.part = WeightPart::kVisionTower;
  // Conv3d weight [Hv, C, T, P, P]; used as a [Hv, C*T*P*P] matrix (spec §2.1).
  b.Add(p + "patch_embed.proj.weight",
        Shape{hv, v.in_channels, v.temporal_patch_size, v.patch_size, v.patch_size}, WeightInit::kLinear,
        patch_in);
  b.Add(p + "patch_embed.proj.bias", Shape{hv}, WeightInit::kBias, patch_in);
  b.Add(p + "pos_embed.weight", Shape{v.num_position_embeddings, hv}, WeightInit::kPositionTable, 0);
  for (int64_t i = 0; i < v.depth; ++i) {
    const std::string blk = p + "blocks." + std::to_string(i) + ".";
    b.LayerNorm(blk + "norm1", hv);
    b.LayerNorm(blk + "norm2", hv);
    b.Linear(blk + "attn.qkv", 3 * hv, hv, true);
    b.Linear(blk + "attn.proj", hv, hv, true);
    b.Linear(blk + "mlp.linear_fc1", v.intermediate_size, hv, true);
    b.Linear(blk + "mlp.linear_fc2", hv, v.intermediate_size, true);
  }
  b.part = WeightPart::kVisionMerger;
  b.LayerNorm(p + "merger.norm", hv);  // per patch, before the 2x2 concat
  b.Linear(p + "merger.linear_fc1", merged, merged, true);
  b.Linear(p + "merger.linear_fc2", v.out_hidden_size, merged, true);
  b.part = WeightPart::kDeepStack;
  for (size_t k = 0; k < v.deepstack_visual_indexes.size(); ++k) {
    const std::string ds = p + "deepstack_merger_list." + std::to_string(k) + ".";
    b.LayerNorm(ds + "norm", merged);  // after the 2x2 concat
    b.Linear(ds + "linear_fc1", merged, merged, true);
    b.Linear(ds + "linear_fc2", v.out_hidden_size, merged, true);
  }
}

void AddText(const ModelConfig& c, TableBuilder& b) {
  const TextConfig& t = c.text;
  const std::string p = "model.language_model.";
  const int64_t q_width = t.num_attention_heads * t.head_dim;
  const int64_t kv_width = t.num_key_value_heads * t.head_dim;
  b.part = WeightPart::kEmbedding;
  b.Add(p + "embed_tokens.weight", Shape{t.vocab_size, t.hidden_size}, WeightInit::kEmbedding, 0);
  b.part = WeightPart::kTextDecoder;
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    const std::string l = p + "layers." + std::to_string(i) + ".";
    b.RmsNorm(l + "input_layernorm", t.hidden_size);
    b.Linear(l + "self_attn.q_proj", q_width, t.hidden_size, t.attention_bias);
    b.Linear(l + "self_attn.k_proj", kv_width, t.hidden_size, t.attention_bias);
    b.Linear(l + "self_attn.v_proj", kv_width, t.hidden_size, t.attention_bias);
    b.Linear(l + "self_attn.o_proj", t.hidden_size, q_width, false);
    b.RmsNorm(l + "self_attn.q_norm", t.head_dim);
    b.RmsNorm(l + "self_attn.k_norm", t.head_dim);
    b.RmsNorm(l + "post_attention_layernorm", t.hidden_size);
    b.Linear(l + "mlp.gate_proj", t.intermediate_size, t.hidden_size, false);
    b.Linear(l + "mlp.up_proj", t.intermediate_size, t.hidden_size, false);
    b.Linear(l + "mlp.down_proj", t.hidden_size, t.intermediate_size, false);
  }
  b.RmsNorm(p + "norm", t.hidden_size);
  b.part = WeightPart::kLmHead;
  // Tied checkpoints (2B/4B) usually omit lm_head; the embedding serves (spec §2.3).
  b.Add("lm_head.weight", Shape{t.vocab_size, t.hidden_size}, WeightInit::kEmbedding, 0,
        !c.tie_word_embeddings);
}

std::vector<std::string> NameCandidates(const std::string& canonical) {
  std::vector<std::string> names{canonical};
  const std::string vis = "model.visual.", text = "model.language_model.";
  if (canonical.compare(0, vis.size(), vis) == 0) names.push_back("visual." + canonical.substr(vis.size()));
  if (canonical.compare(0, text.size(), text) == 0) names.push_back("model." + canonical.substr(text.size()));
  return names;
}

}  // namespace

std::vector<WeightSpec> WeightTable(const ModelConfig& config) {
  std::vector<WeightSpec> table;
  TableBuilder builder(&table);
  AddVision(config, builder);
  AddText(config, builder);
  return table;
}

const TensorInfo* FindWeight(const TensorStore& store, const std::string& canonical) {
  for (const std::string& name : NameCandidates(canonical))
    if (const TensorInfo* info = store.Find(name)) return info;
  return nullptr;
}

Status ValidateCheckpoint(const TensorStore& store, const ModelConfig& config,
                          std::vector<std::string>* unknown) {
  std::set<std::string> known;
  for (const WeightSpec& spec : WeightTable(config)) {
    const TensorInfo* info = FindWeight(store, spec.name);
    if (info == nullptr) {
      if (!spec.required) continue;
      return NotFoundError("checkpoint lacks tensor " + spec.name + " (" + WeightPartName(spec.part) +
                           ", shape " + spec.shape.ToString() + ")");
    }
    known.insert(info->name);
    if (info->shape != spec.shape) {
      return InvalidArgumentError(spec.name + ": shape " + info->shape.ToString() + " in checkpoint, " +
                                  spec.shape.ToString() + " expected from config.json");
    }
    if (info->dtype != DType::kF32 && info->dtype != DType::kBF16 && info->dtype != DType::kF16) {
      return UnimplementedError(spec.name + ": dtype " + DTypeName(info->dtype) +
                                " is not supported (F32, BF16, F16)");
    }
  }
  if (unknown != nullptr) {
    unknown->clear();
    for (const TensorInfo& info : store.tensors())
      if (!known.count(info.name)) unknown->push_back(info.name);
  }
  return Status::Ok();
}

}  // namespace corgi::qwen3vl
