// config.json for Qwen2.5-VL: both layouts parsed with every field checked, and the 4.x
// release layout written (see config.h).
#include "corgi/model/qwen2_5vl/config.h"

#include <cmath>

#include "model/config_json.h"

namespace corgi::qwen2_5vl {
namespace {

using model_internal::CheckActivation;
using model_internal::CheckBlockIndexes;
using model_internal::CheckDecoderText;
using model_internal::CheckHeadsDivide;
using model_internal::CheckRgb;
using model_internal::CheckTowersMeet;
using model_internal::JsonScope;
using model_internal::ParseConfigRoot;
using model_internal::ParseMrope;
using model_internal::ParseTopLevel;
using nlohmann::json;

std::string Str(int64_t v) { return std::to_string(v); }

// Generous bounds that keep every size product far from int64 overflow; the releases sit
// well inside them (hidden 5120, 64 layers, vocab 152064).
constexpr int64_t kMaxWidth = int64_t{1} << 17;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxHeadDim = 256;  // the attention kernels' limit

Status Bounded(const JsonScope& s, const char* key, bool required, int64_t max, int64_t* out) {
  CORGI_RETURN_IF_ERROR(s.PositiveInt(key, required, out));
  if (*out > max)
    return s.Error(s.Path(key) + " (" + Str(*out) + ") is above the supported maximum " + Str(max));
  return Status::Ok();
}

Status ParseText(const JsonScope& s, TextConfig* t) {
  CORGI_RETURN_IF_ERROR(Bounded(s, "hidden_size", true, kMaxWidth, &t->hidden_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "num_hidden_layers", true, kMaxLayers, &t->num_hidden_layers));
  CORGI_RETURN_IF_ERROR(
      Bounded(s, "num_attention_heads", true, kMaxWidth, &t->num_attention_heads));
  CORGI_RETURN_IF_ERROR(
      Bounded(s, "num_key_value_heads", true, kMaxWidth, &t->num_key_value_heads));
  CORGI_RETURN_IF_ERROR(
      Bounded(s, "intermediate_size", true, kMaxWidth * 4, &t->intermediate_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "vocab_size", true, kMaxVocab, &t->vocab_size));
  CORGI_RETURN_IF_ERROR(
      Bounded(s, "max_position_embeddings", true, int64_t{1} << 30, &t->max_position_embeddings));
  CORGI_RETURN_IF_ERROR(s.Number("rms_norm_eps", true, &t->rms_norm_eps));
  CORGI_RETURN_IF_ERROR(s.String("hidden_act", false, &t->hidden_act));
  if (t->hidden_size % t->num_attention_heads != 0) {
    return s.Error(s.Path("num_attention_heads") + " (" + Str(t->num_attention_heads) +
                   ") must divide hidden_size (" + Str(t->hidden_size) + ")");
  }
  t->head_dim = t->hidden_size / t->num_attention_heads;
  if (t->head_dim % 2 != 0 || t->head_dim > kMaxHeadDim) {
    return s.Error("hidden_size / num_attention_heads (" + Str(t->head_dim) +
                   ") must be even and at most " + Str(kMaxHeadDim));
  }
  CORGI_RETURN_IF_ERROR(CheckDecoderText(s, t->rms_norm_eps, t->hidden_act, t->num_attention_heads,
                                         t->num_key_value_heads));
  bool sliding = false;
  CORGI_RETURN_IF_ERROR(s.Bool("use_sliding_window", false, &sliding));
  if (sliding) {
    return UnimplementedError(s.file() + ": " + s.Path("use_sliding_window") +
                              " true is not supported (the releases use full attention)");
  }
  JsonScope rope = s;
  return ParseMrope(s, t->head_dim, &t->rope_theta, &t->mrope_section, &rope);
}

// v5 spells the vision rotary out: rope_parameters {rope_type "axial" | "default", rope_theta}.
Status ParseVisionRope(const JsonScope& s, VisionConfig* v) {
  JsonScope rope = s;
  bool has_rope = false;
  CORGI_RETURN_IF_ERROR(s.Object("rope_parameters", false, &rope, &has_rope));
  if (!has_rope) return Status::Ok();
  std::string type = "axial";
  CORGI_RETURN_IF_ERROR(rope.String("rope_type", false, &type));
  if (type != "axial" && type != "default") {
    return UnimplementedError(s.file() + ": " + rope.Path("rope_type") + " \"" + type +
                              "\" is not supported (only the 2-D axial rotary)");
  }
  CORGI_RETURN_IF_ERROR(rope.Number("rope_theta", false, &v->rope_theta));
  if (!(v->rope_theta > 0) || !std::isfinite(v->rope_theta)) {
    return s.Error(rope.Path("rope_theta") + " must be a positive number");
  }
  return Status::Ok();
}

Status ParseVision(const JsonScope& s, VisionConfig* v) {
  CORGI_RETURN_IF_ERROR(Bounded(s, "depth", true, kMaxLayers, &v->depth));
  CORGI_RETURN_IF_ERROR(Bounded(s, "hidden_size", true, kMaxWidth, &v->hidden_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "num_heads", true, kMaxWidth, &v->num_heads));
  CORGI_RETURN_IF_ERROR(
      Bounded(s, "intermediate_size", true, kMaxWidth * 4, &v->intermediate_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "out_hidden_size", true, kMaxWidth, &v->out_hidden_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "patch_size", false, 1024, &v->patch_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "temporal_patch_size", false, 64, &v->temporal_patch_size));
  CORGI_RETURN_IF_ERROR(Bounded(s, "spatial_merge_size", false, 64, &v->spatial_merge_size));
  const char* channels_key = s.Has("in_channels") ? "in_channels" : "in_chans";
  CORGI_RETURN_IF_ERROR(s.PositiveInt(channels_key, false, &v->in_channels));
  CORGI_RETURN_IF_ERROR(Bounded(s, "window_size", false, int64_t{1} << 20, &v->window_size));
  CORGI_RETURN_IF_ERROR(s.IntArray("fullatt_block_indexes", true, &v->fullatt_block_indexes));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("tokens_per_second", false, &v->tokens_per_second));
  CORGI_RETURN_IF_ERROR(s.String("hidden_act", false, &v->hidden_act));
  CORGI_RETURN_IF_ERROR(CheckActivation(s, "hidden_act", v->hidden_act, "silu"));
  CORGI_RETURN_IF_ERROR(ParseVisionRope(s, v));
  CORGI_RETURN_IF_ERROR(CheckRgb(s, channels_key, v->in_channels));
  CORGI_RETURN_IF_ERROR(CheckHeadsDivide(s, v->hidden_size, v->num_heads));
  // The 2-D rotary gives rows and columns head_dim / 4 frequency slots each.
  if (v->head_dim() % 4 != 0 || v->head_dim() > kMaxHeadDim) {
    return s.Error("hidden_size / num_heads (" + Str(v->head_dim()) +
                   ") must be a multiple of 4 and at most " + Str(kMaxHeadDim));
  }
  if (v->window_merged() < 1) {
    return s.Error(s.Path("window_size") + " (" + Str(v->window_size) +
                   ") must be at least patch_size * " + "spatial_merge_size (" +
                   Str(v->patch_size * v->spatial_merge_size) + ")");
  }
  return CheckBlockIndexes(s, "fullatt_block_indexes", v->fullatt_block_indexes, v->depth);
}

StatusOr<ModelConfig> ParseNamed(std::string_view json_text, const std::string& file) {
  json root;
  CORGI_RETURN_IF_ERROR(ParseConfigRoot(json_text, file, &root));
  JsonScope top(&root, file, "");
  ModelConfig c;
  CORGI_RETURN_IF_ERROR(top.String("model_type", true, &c.model_type));
  if (c.model_type != "qwen2_5_vl") {
    return UnimplementedError(file + ": model_type \"" + c.model_type +
                              "\" is not Qwen2.5-VL (qwen2_5_vl)");
  }
  // v5 nests the decoder's fields in text_config; the 4.x release keeps them at the top.
  JsonScope text = top, vision = top;
  CORGI_RETURN_IF_ERROR(top.Object("text_config", false, &text, nullptr));
  CORGI_RETURN_IF_ERROR(top.Object("vision_config", true, &vision, nullptr));
  CORGI_RETURN_IF_ERROR(ParseText(text, &c.text));
  CORGI_RETURN_IF_ERROR(ParseVision(vision, &c.vision));
  CORGI_RETURN_IF_ERROR(
      CheckTowersMeet(top, text, vision, c.vision.out_hidden_size, c.text.hidden_size));
  CORGI_RETURN_IF_ERROR(ParseTopLevel(top, text, &c));
  return c;
}

}  // namespace

bool VisionConfig::full_attention(int64_t block) const {
  for (int64_t i : fullatt_block_indexes)
    if (i == block) return true;
  return false;
}

StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text) {
  return model_internal::ParseGuarded(json_text, "config.json", ParseNamed);
}

StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  return model_internal::LoadGuarded(path, ParseNamed);
}

std::string ModelConfigToJson(const ModelConfig& c) {
  const TextConfig& t = c.text;
  const VisionConfig& v = c.vision;
  json vision = {
      {"depth", v.depth},
      {"hidden_act", v.hidden_act},
      {"hidden_size", v.hidden_size},
      {"intermediate_size", v.intermediate_size},
      {"num_heads", v.num_heads},
      {"in_chans", v.in_channels},
      {"out_hidden_size", v.out_hidden_size},
      {"patch_size", v.patch_size},
      {"spatial_merge_size", v.spatial_merge_size},
      {"spatial_patch_size", v.patch_size},
      {"window_size", v.window_size},
      {"fullatt_block_indexes", v.fullatt_block_indexes},
      {"tokens_per_second", v.tokens_per_second},
      {"temporal_patch_size", v.temporal_patch_size},
  };
  json root = {
      {"architectures", json::array({c.architecture.empty() ? "Qwen2_5_VLForConditionalGeneration"
                                                            : c.architecture})},
      {"attention_dropout", 0.0},
      {"bos_token_id", 151643},
      {"eos_token_id", 151645},
      {"vision_start_token_id", c.vision_start_token_id},
      {"vision_end_token_id", c.vision_end_token_id},
      {"vision_token_id", 151654},
      {"image_token_id", c.image_token_id},
      {"video_token_id", c.video_token_id},
      {"hidden_act", t.hidden_act},
      {"hidden_size", t.hidden_size},
      {"initializer_range", 0.02},
      {"intermediate_size", t.intermediate_size},
      {"max_position_embeddings", t.max_position_embeddings},
      {"max_window_layers", t.num_hidden_layers},
      {"model_type", "qwen2_5_vl"},
      {"num_attention_heads", t.num_attention_heads},
      {"num_hidden_layers", t.num_hidden_layers},
      {"num_key_value_heads", t.num_key_value_heads},
      {"rms_norm_eps", t.rms_norm_eps},
      {"rope_theta", t.rope_theta},
      {"sliding_window", 32768},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"transformers_version", "4.41.2"},
      {"use_cache", true},
      {"use_sliding_window", false},
      {"vision_config", vision},
      {"rope_scaling", {{"type", "mrope"}, {"mrope_section", t.mrope_section}}},
      {"vocab_size", t.vocab_size},
  };
  if (!c.torch_dtype.empty()) root["torch_dtype"] = c.torch_dtype;
  return root.dump(2, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace) + "\n";
}

}  // namespace corgi::qwen2_5vl
