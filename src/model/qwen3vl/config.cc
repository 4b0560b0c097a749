// config.json for Qwen3-VL: parsing with every field checked, and writing in the
// transformers 4.57 layout. Field list and values: spec/qwen3-vl.md §0 and §1.1.
#include "corgi/model/qwen3vl/config.h"

#include <cmath>
#include <set>

#include "corgi/core/log.h"
#include "corgi/core/mapped_file.h"
#include "io/json_util.h"

namespace corgi::qwen3vl {
namespace {

using io_internal::JsonScope;
using nlohmann::json;

std::string Str(int64_t v) { return std::to_string(v); }

// rope_theta, mrope_section and mrope_interleaved from either spelling:
// v5 `rope_parameters` {rope_theta, mrope_section, mrope_interleaved, rope_type} or
// 4.57 `rope_theta` + `rope_scaling` {rope_type | type, mrope_section, mrope_interleaved}.
Status ParseRope(const JsonScope& text, TextConfig* out) {
  JsonScope rope = text;
  bool found = false;
  CORGI_RETURN_IF_ERROR(text.Object("rope_parameters", false, &rope, &found));
  if (found) {
    if (rope.Has("rope_theta") || !text.Has("rope_theta")) {
      CORGI_RETURN_IF_ERROR(rope.Number("rope_theta", true, &out->rope_theta));
    } else {
      CORGI_RETURN_IF_ERROR(text.Number("rope_theta", true, &out->rope_theta));
    }
  } else {
    CORGI_RETURN_IF_ERROR(text.Number("rope_theta", true, &out->rope_theta));
    CORGI_RETURN_IF_ERROR(text.Object("rope_scaling", true, &rope, &found));
  }
  std::string rope_type = "default";
  const char* type_key = rope.Has("rope_type") ? "rope_type" : "type";
  CORGI_RETURN_IF_ERROR(rope.String(type_key, false, &rope_type));
  if (rope_type != "default" && rope_type != "mrope") {
    return UnimplementedError(text.file() + ": " + rope.Path(type_key) + " \"" + rope_type +
                              "\" is not supported (only default M-RoPE)");
  }
  CORGI_RETURN_IF_ERROR(rope.IntArray("mrope_section", true, &out->mrope_section));
  out->mrope_interleaved = true;
  bool interleaved = true;
  CORGI_RETURN_IF_ERROR(rope.Bool("mrope_interleaved", false, &interleaved));
  if (!interleaved) {
    // transformers' Qwen3-VL always interleaves and never reads this flag; follow it.
    CORGI_LOG(WARNING) << text.file() << ": " << rope.Path("mrope_interleaved")
                       << " is false, but qwen3_vl always uses interleaved M-RoPE";
  }
  int64_t sum = 0;
  bool in_range = out->mrope_section.size() == 3;
  for (int64_t v : out->mrope_section) {
    in_range = in_range && v >= 0 && v <= out->head_dim / 2;
    if (in_range) sum += v;
  }
  if (!in_range || sum != out->head_dim / 2) {
    return text.Error(rope.Path("mrope_section") +
                      " must have 3 entries summing to head_dim / 2 (" + Str(out->head_dim / 2) +
                      "), got " + json(out->mrope_section).dump());
  }
  if (!(out->rope_theta > 0) || !std::isfinite(out->rope_theta)) {
    return text.Error(text.Path("rope_theta") + " must be a positive number");
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
  if (!(t->rms_norm_eps > 0 && t->rms_norm_eps < 1)) {
    return s.Error(s.Path("rms_norm_eps") + " must be in (0, 1), got " +
                   std::to_string(t->rms_norm_eps));
  }
  if (t->hidden_act != "silu") {
    return UnimplementedError(s.file() + ": " + s.Path("hidden_act") + " \"" + t->hidden_act +
                              "\" is not supported (only silu)");
  }
  if (t->num_attention_heads % t->num_key_value_heads != 0) {
    return s.Error(s.Path("num_key_value_heads") + " (" + Str(t->num_key_value_heads) +
                   ") must divide num_attention_heads (" + Str(t->num_attention_heads) + ")");
  }
  return Status::Ok();
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
  if (v->hidden_act != "gelu_pytorch_tanh") {
    return UnimplementedError(s.file() + ": " + s.Path("hidden_act") + " \"" + v->hidden_act +
                              "\" is not supported (only gelu_pytorch_tanh)");
  }
  if (v->in_channels != 3) {
    return UnimplementedError(s.file() + ": " + s.Path("in_channels") + " (" + Str(v->in_channels) +
                              ") must be 3 (RGB)");
  }
  if (v->hidden_size % v->num_heads != 0) {
    return s.Error(s.Path("num_heads") + " (" + Str(v->num_heads) + ") must divide hidden_size (" +
                   Str(v->hidden_size) + ")");
  }
  int64_t side = static_cast<int64_t>(std::llround(std::sqrt(double(v->num_position_embeddings))));
  if (side * side != v->num_position_embeddings) {
    return s.Error(s.Path("num_position_embeddings") + " (" + Str(v->num_position_embeddings) +
                   ") must be a perfect square");
  }
  std::set<int64_t> seen;
  for (int64_t idx : v->deepstack_visual_indexes) {
    if (idx < 0 || idx >= v->depth || !seen.insert(idx).second) {
      return s.Error(s.Path("deepstack_visual_indexes") + " entry " + Str(idx) +
                     " must be a distinct block index below depth (" + Str(v->depth) + ")");
    }
  }
  return Status::Ok();
}

// Top-level token ids, tie_word_embeddings and dtype (each may also sit in text_config).
Status ParseTopLevel(const JsonScope& root, const JsonScope& text, ModelConfig* c) {
  if (root.Has("architectures")) {
    const json& arch = root.raw()["architectures"];
    if (!arch.is_array() || arch.empty() || !arch[0].is_string()) {
      return root.Error("architectures must be a non-empty array of strings");
    }
    c->architecture = arch[0].get<std::string>();
  }
  const JsonScope& tie_scope = root.Has("tie_word_embeddings") ? root : text;
  CORGI_RETURN_IF_ERROR(tie_scope.Bool("tie_word_embeddings", false, &c->tie_word_embeddings));
  for (const JsonScope* s : {&root, &text}) {
    const char* key = s->Has("torch_dtype") ? "torch_dtype" : "dtype";
    if (c->torch_dtype.empty()) CORGI_RETURN_IF_ERROR(s->String(key, false, &c->torch_dtype));
  }
  struct IdField {
    const char* key;
    int64_t* value;
  };
  for (IdField f : {IdField{"image_token_id", &c->image_token_id},
                    IdField{"video_token_id", &c->video_token_id},
                    IdField{"vision_start_token_id", &c->vision_start_token_id},
                    IdField{"vision_end_token_id", &c->vision_end_token_id}}) {
    CORGI_RETURN_IF_ERROR(root.Int(f.key, false, f.value));
    if (*f.value < 0 || *f.value >= c->text.vocab_size) {
      return root.Error(std::string(f.key) + " (" + Str(*f.value) +
                        ") must be a token id below text_config.vocab_size (" +
                        Str(c->text.vocab_size) + ")");
    }
  }
  return Status::Ok();
}

StatusOr<ModelConfig> ParseModelConfigNamed(std::string_view json_text, const std::string& file) {
  json root;
  Status parsed = io_internal::ParseJson(json_text, file, /*reject_duplicate_keys=*/false, &root);
  if (!parsed.ok()) return parsed;
  if (!root.is_object()) return InvalidArgumentError(file + ": must be a JSON object");
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
  if (c.vision.out_hidden_size != c.text.hidden_size) {
    return top.Error("vision_config.out_hidden_size (" + Str(c.vision.out_hidden_size) +
                     ") must equal text_config.hidden_size (" + Str(c.text.hidden_size) + ")");
  }
  CORGI_RETURN_IF_ERROR(ParseTopLevel(top, text, &c));
  return c;
}

}  // namespace

StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text) {
  try {
    return ParseModelConfigNamed(json_text, "config.json");
  } catch (const std::exception& e) {
    return InternalError(std::string("config.json: unexpected error: ") + e.what());
  }
}

StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  try {
    return ParseModelConfigNamed(text, path);
  } catch (const std::exception& e) {
    return InternalError(path + ": unexpected error: " + e.what());
  }
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
