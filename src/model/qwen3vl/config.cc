// config.json for Qwen3-VL: parsing with every field checked, and writing in the
// transformers 4.57 layout. Field list and values: spec/qwen3-vl.md §0 and §1.1.
#include "corgi/model/qwen3vl/config.h"

#include <cmath>

#include "corgi/core/log.h"
#include "model/config_json.h"

namespace corgi::qwen3vl {
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

// The shared M-RoPE settings (ParseMrope), then mrope_interleaved from the same object.
Status ParseRope(const JsonScope& text, TextConfig* out) {
  JsonScope rope = text;
  CORGI_RETURN_IF_ERROR(
      ParseMrope(text, out->head_dim, &out->rope_theta, &out->mrope_section, &rope));
  out->mrope_interleaved = true;
  bool interleaved = true;
  CORGI_RETURN_IF_ERROR(rope.Bool("mrope_interleaved", false, &interleaved));
  if (!interleaved) {
    // transformers' Qwen3-VL always interleaves and never reads this flag; follow it.
    CORGI_LOG(WARNING) << text.file() << ": " << rope.Path("mrope_interleaved")
                       << " is false, but qwen3_vl always uses interleaved M-RoPE";
  }
  return Status::Ok();
}

Status ParseText(const JsonScope& s, TextConfig* t) {
  CORGI_RETURN_IF_ERROR(s.PositiveInt("hidden_size", true, &t->hidden_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("num_hidden_layers", true, &t->num_hidden_layers));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("num_attention_heads", true, &t->num_attention_heads));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("num_key_value_heads", true, &t->num_key_value_heads));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("head_dim", true, &t->head_dim));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("intermediate_size", true, &t->intermediate_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("vocab_size", true, &t->vocab_size));
  CORGI_RETURN_IF_ERROR(
      s.PositiveInt("max_position_embeddings", true, &t->max_position_embeddings));
  CORGI_RETURN_IF_ERROR(s.Number("rms_norm_eps", true, &t->rms_norm_eps));
  CORGI_RETURN_IF_ERROR(s.Bool("attention_bias", false, &t->attention_bias));
  CORGI_RETURN_IF_ERROR(s.String("hidden_act", false, &t->hidden_act));
  if (t->head_dim % 2 != 0)
    return s.Error(s.Path("head_dim") + " (" + Str(t->head_dim) + ") must be even");
  CORGI_RETURN_IF_ERROR(ParseRope(s, t));
  return CheckDecoderText(s, t->rms_norm_eps, t->hidden_act, t->num_attention_heads,
                          t->num_key_value_heads);
}

Status ParseVision(const JsonScope& s, VisionConfig* v) {
  CORGI_RETURN_IF_ERROR(s.PositiveInt("depth", true, &v->depth));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("hidden_size", true, &v->hidden_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("num_heads", true, &v->num_heads));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("intermediate_size", true, &v->intermediate_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("patch_size", true, &v->patch_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("temporal_patch_size", true, &v->temporal_patch_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("spatial_merge_size", true, &v->spatial_merge_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("in_channels", false, &v->in_channels));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("out_hidden_size", true, &v->out_hidden_size));
  CORGI_RETURN_IF_ERROR(
      s.PositiveInt("num_position_embeddings", true, &v->num_position_embeddings));
  CORGI_RETURN_IF_ERROR(s.IntArray("deepstack_visual_indexes", true, &v->deepstack_visual_indexes));
  CORGI_RETURN_IF_ERROR(s.String("hidden_act", false, &v->hidden_act));
  CORGI_RETURN_IF_ERROR(CheckActivation(s, "hidden_act", v->hidden_act, "gelu_pytorch_tanh"));
  CORGI_RETURN_IF_ERROR(CheckRgb(s, "in_channels", v->in_channels));
  CORGI_RETURN_IF_ERROR(CheckHeadsDivide(s, v->hidden_size, v->num_heads));
  int64_t side = static_cast<int64_t>(std::llround(std::sqrt(double(v->num_position_embeddings))));
  if (side * side != v->num_position_embeddings) {
    return s.Error(s.Path("num_position_embeddings") + " (" + Str(v->num_position_embeddings) +
                   ") must be a perfect square");
  }
  return CheckBlockIndexes(s, "deepstack_visual_indexes", v->deepstack_visual_indexes, v->depth);
}

StatusOr<ModelConfig> ParseModelConfigNamed(std::string_view json_text, const std::string& file) {
  json root;
  CORGI_RETURN_IF_ERROR(ParseConfigRoot(json_text, file, &root));
  JsonScope top(&root, file, "");
  ModelConfig c;
  CORGI_RETURN_IF_ERROR(top.String("model_type", true, &c.model_type));
  if (c.model_type != "qwen3_vl") {
    return UnimplementedError(file + ": model_type \"" + c.model_type +
                              "\" is not supported (supported: qwen3_vl)");
  }
  JsonScope text = top, vision = top;
  CORGI_RETURN_IF_ERROR(top.Object("text_config", true, &text, nullptr));
  CORGI_RETURN_IF_ERROR(top.Object("vision_config", true, &vision, nullptr));
  CORGI_RETURN_IF_ERROR(ParseText(text, &c.text));
  CORGI_RETURN_IF_ERROR(ParseVision(vision, &c.vision));
  CORGI_RETURN_IF_ERROR(
      CheckTowersMeet(top, text, vision, c.vision.out_hidden_size, c.text.hidden_size));
  CORGI_RETURN_IF_ERROR(ParseTopLevel(top, text, &c));
  return c;
}

}  // namespace

StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text) {
  return model_internal::ParseGuarded(json_text, "config.json", ParseModelConfigNamed);
}

StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  return model_internal::LoadGuarded(path, ParseModelConfigNamed);
}

std::string ModelConfigToJson(const ModelConfig& c) {
  const TextConfig& t = c.text;
  const VisionConfig& v = c.vision;
  json text = {
      {"model_type", "qwen3_vl_text"},
      {"hidden_size", t.hidden_size},
      {"num_hidden_layers", t.num_hidden_layers},
      {"num_attention_heads", t.num_attention_heads},
      {"num_key_value_heads", t.num_key_value_heads},
      {"head_dim", t.head_dim},
      {"intermediate_size", t.intermediate_size},
      {"vocab_size", t.vocab_size},
      {"max_position_embeddings", t.max_position_embeddings},
      {"rope_theta", t.rope_theta},
      {"rope_scaling",
       {{"rope_type", "default"},
        {"mrope_section", t.mrope_section},
        {"mrope_interleaved", t.mrope_interleaved}}},
      {"rms_norm_eps", t.rms_norm_eps},
      {"attention_bias", t.attention_bias},
      {"attention_dropout", 0.0},
      {"hidden_act", t.hidden_act},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"use_cache", true},
  };
  json vision = {
      {"model_type", "qwen3_vl"},
      {"depth", v.depth},
      {"hidden_size", v.hidden_size},
      {"num_heads", v.num_heads},
      {"intermediate_size", v.intermediate_size},
      {"patch_size", v.patch_size},
      {"temporal_patch_size", v.temporal_patch_size},
      {"spatial_merge_size", v.spatial_merge_size},
      {"in_channels", v.in_channels},
      {"out_hidden_size", v.out_hidden_size},
      {"num_position_embeddings", v.num_position_embeddings},
      {"deepstack_visual_indexes", v.deepstack_visual_indexes},
      {"hidden_act", v.hidden_act},
      {"initializer_range", 0.02},
  };
  json root = {
      {"architectures",
       json::array({c.architecture.empty() ? "Qwen3VLForConditionalGeneration" : c.architecture})},
      {"model_type", c.model_type.empty() ? "qwen3_vl" : c.model_type},
      {"image_token_id", c.image_token_id},
      {"video_token_id", c.video_token_id},
      {"vision_start_token_id", c.vision_start_token_id},
      {"vision_end_token_id", c.vision_end_token_id},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"text_config", text},
      {"vision_config", vision},
      {"transformers_version", "4.57.0"},
  };
  if (!c.torch_dtype.empty()) root["torch_dtype"] = c.torch_dtype;
  return root.dump(2, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace) + "\n";
}

}  // namespace corgi::qwen3vl
