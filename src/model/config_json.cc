#include "model/config_json.h"

#include <cmath>
#include <set>

namespace corgi::model_internal {
namespace {

using nlohmann::json;

std::string Str(int64_t v) { return std::to_string(v); }

}  // namespace

Status ParseMrope(const JsonScope& text, int64_t head_dim, double* rope_theta,
                  std::vector<int64_t>* mrope_section, JsonScope* rope_out) {
  JsonScope rope = text;
  bool found = false;
  CORGI_RETURN_IF_ERROR(text.Object("rope_parameters", false, &rope, &found));
  // v5 keeps rope_theta inside rope_parameters; an older writer may leave it beside.
  const JsonScope& theta_scope =
      !found || (!rope.Has("rope_theta") && text.Has("rope_theta")) ? text : rope;
  CORGI_RETURN_IF_ERROR(theta_scope.Number("rope_theta", true, rope_theta));
  if (!found) CORGI_RETURN_IF_ERROR(text.Object("rope_scaling", true, &rope, &found));
  std::string rope_type = "default";
  const char* type_key = rope.Has("rope_type") ? "rope_type" : "type";
  CORGI_RETURN_IF_ERROR(rope.String(type_key, false, &rope_type));
  // transformers renames the releases' "mrope" to "default": both are plain M-RoPE.
  if (rope_type != "default" && rope_type != "mrope") {
    return UnimplementedError(text.file() + ": " + rope.Path(type_key) + " \"" + rope_type +
                              "\" is not supported (only default M-RoPE)");
  }
  CORGI_RETURN_IF_ERROR(rope.IntArray("mrope_section", true, mrope_section));
  const int64_t half = head_dim / 2;
  int64_t sum = 0;
  bool in_range = mrope_section->size() == 3;
  for (int64_t v : *mrope_section) {
    in_range = in_range && v >= 0 && v <= half;
    if (in_range) sum += v;
  }
  if (!in_range || sum != half) {
    return text.Error(rope.Path("mrope_section") +
                      " must have 3 entries summing to head_dim / 2 (" + Str(half) + "), got " +
                      json(*mrope_section).dump());
  }
  if (!(*rope_theta > 0) || !std::isfinite(*rope_theta))
    return text.Error(theta_scope.Path("rope_theta") + " must be a positive number");
  *rope_out = rope;
  return Status::Ok();
}

Status CheckActivation(const JsonScope& s, const char* key, const std::string& value,
                       const char* supported) {
  if (value == supported) return Status::Ok();
  return UnimplementedError(s.file() + ": " + s.Path(key) + " \"" + value +
                            "\" is not supported (only " + supported + ")");
}

Status CheckBlockIndexes(const JsonScope& s, const char* key, const std::vector<int64_t>& indexes,
                         int64_t depth) {
  std::set<int64_t> seen;
  for (int64_t idx : indexes) {
    if (idx < 0 || idx >= depth || !seen.insert(idx).second) {
      return s.Error(s.Path(key) + " entry " + Str(idx) +
                     " must be a distinct block index below depth (" + Str(depth) + ")");
    }
  }
  return Status::Ok();
}

Status CheckHeadsDivide(const JsonScope& s, int64_t hidden_size, int64_t num_heads) {
  if (hidden_size % num_heads == 0) return Status::Ok();
  return s.Error(s.Path("num_heads") + " (" + Str(num_heads) + ") must divide hidden_size (" +
                 Str(hidden_size) + ")");
}

Status CheckRgb(const JsonScope& s, const char* key, int64_t in_channels) {
  if (in_channels == 3) return Status::Ok();
  return UnimplementedError(s.file() + ": " + s.Path(key) + " (" + Str(in_channels) +
                            ") must be 3 (RGB)");
}

Status CheckDecoderText(const JsonScope& s, double rms_norm_eps, const std::string& hidden_act,
                        int64_t num_attention_heads, int64_t num_key_value_heads) {
  if (!(rms_norm_eps > 0 && rms_norm_eps < 1)) {
    return s.Error(s.Path("rms_norm_eps") + " must be in (0, 1), got " +
                   std::to_string(rms_norm_eps));
  }
  CORGI_RETURN_IF_ERROR(CheckActivation(s, "hidden_act", hidden_act, "silu"));
  if (num_attention_heads % num_key_value_heads != 0) {
    return s.Error(s.Path("num_key_value_heads") + " (" + Str(num_key_value_heads) +
                   ") must divide num_attention_heads (" + Str(num_attention_heads) + ")");
  }
  return Status::Ok();
}

Status ParseTopLevelFields(const JsonScope& root, const JsonScope& text, int64_t vocab_size,
                           std::string* architecture, bool* tie_word_embeddings,
                           std::string* torch_dtype,
                           std::initializer_list<std::pair<const char*, int64_t*>> ids) {
  if (root.Has("architectures")) {
    const json& arch = root.raw()["architectures"];
    if (!arch.is_array() || arch.empty() || !arch[0].is_string()) {
      return root.Error("architectures must be a non-empty array of strings");
    }
    *architecture = arch[0].get<std::string>();
  }
  const JsonScope& tie_scope = root.Has("tie_word_embeddings") ? root : text;
  CORGI_RETURN_IF_ERROR(tie_scope.Bool("tie_word_embeddings", false, tie_word_embeddings));
  for (const JsonScope* s : {&root, &text}) {
    const char* key = s->Has("torch_dtype") ? "torch_dtype" : "dtype";
    if (torch_dtype->empty()) CORGI_RETURN_IF_ERROR(s->String(key, false, torch_dtype));
  }
  for (const auto& [key, value] : ids) {
    CORGI_RETURN_IF_ERROR(root.Int(key, false, value));
    if (*value < 0 || *value >= vocab_size) {
      return root.Error(std::string(key) + " (" + Str(*value) + ") must be a token id below " +
                        text.Path("vocab_size") + " (" + Str(vocab_size) + ")");
    }
  }
  return Status::Ok();
}

Status CheckTowersMeet(const JsonScope& top, const JsonScope& text, const JsonScope& vision,
                       int64_t out_hidden_size, int64_t hidden_size) {
  if (out_hidden_size == hidden_size) return Status::Ok();
  return top.Error(vision.Path("out_hidden_size") + " (" + Str(out_hidden_size) + ") must equal " +
                   text.Path("hidden_size") + " (" + Str(hidden_size) + ")");
}

Status ParseConfigRoot(std::string_view json_text, const std::string& file, nlohmann::json* root) {
  CORGI_RETURN_IF_ERROR(
      io_internal::ParseJson(json_text, file, /*reject_duplicate_keys=*/false, root));
  if (!root->is_object()) return InvalidArgumentError(file + ": must be a JSON object");
  return Status::Ok();
}

}  // namespace corgi::model_internal
