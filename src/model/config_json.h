// Private to the model layer: the pieces of config.json parsing the Qwen-VL families
// share — the M-RoPE settings in both spellings, the top-level ids/dtype/tie fields, the
// decoder's common consistency checks, block-index lists, and the parse/load wrappers
// that turn a stray exception into a Status. Messages name the file and key path.
#pragma once

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "corgi/core/status.h"
#include "io/json_util.h"

namespace corgi::model_internal {

using io_internal::JsonScope;

// rope_theta and mrope_section from v5 `rope_parameters` {rope_type, rope_theta,
// mrope_section} (rope_theta may sit beside it in the text scope) or the 4.x
// `rope_theta` + `rope_scaling` {rope_type | type, mrope_section}. rope_type must be
// "default" or "mrope" (Unimplemented otherwise); mrope_section must have 3 entries
// summing to head_dim / 2; rope_theta must be positive. *rope receives the rope object
// read, for a family's own keys.
Status ParseMrope(const JsonScope& text, int64_t head_dim, double* rope_theta,
                  std::vector<int64_t>* mrope_section, JsonScope* rope);

// Unimplemented "file: path \"value\" is not supported (only <supported>)" unless equal.
Status CheckActivation(const JsonScope& s, const char* key, const std::string& value,
                       const char* supported);

// InvalidArgument unless every entry is a distinct block index in [0, depth).
Status CheckBlockIndexes(const JsonScope& s, const char* key, const std::vector<int64_t>& indexes,
                         int64_t depth);

// InvalidArgument "path(num_heads) (h) must divide hidden_size (w)" unless it does.
Status CheckHeadsDivide(const JsonScope& s, int64_t hidden_size, int64_t num_heads);

// Unimplemented unless in_channels (read under `key`) is 3.
Status CheckRgb(const JsonScope& s, const char* key, int64_t in_channels);

// The decoder checks every family makes: rms_norm_eps in (0, 1), silu, nkv divides nh.
Status CheckDecoderText(const JsonScope& s, double rms_norm_eps, const std::string& hidden_act,
                        int64_t num_attention_heads, int64_t num_key_value_heads);

// InvalidArgument unless the vision tower's out_hidden_size equals the text hidden_size.
Status CheckTowersMeet(const JsonScope& top, const JsonScope& text, const JsonScope& vision,
                       int64_t out_hidden_size, int64_t hidden_size);

// ParseJson + "must be a JSON object".
Status ParseConfigRoot(std::string_view json_text, const std::string& file, nlohmann::json* root);

// Runs parse(json_text, file), turning an exception into Internal "file: unexpected error".
template <class Parse>
auto ParseGuarded(std::string_view json_text, const std::string& file, Parse parse)
    -> decltype(parse(json_text, file)) {
  try {
    return parse(json_text, file);
  } catch (const std::exception& e) {
    return InternalError(file + ": unexpected error: " + e.what());
  }
}

// Reads `path` (errors carry it) and ParseGuarded's it.
template <class Parse>
auto LoadGuarded(const std::string& path, Parse parse)
    -> decltype(parse(std::string_view(), path)) {
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseGuarded(text, path, parse);
}

// The fields around the two towers: architectures[0], tie_word_embeddings (top level, or
// text_config in v5), torch_dtype | dtype (top level first), and the image/video/vision
// start/end token ids, each below the text vocab_size.
Status ParseTopLevelFields(const JsonScope& root, const JsonScope& text, int64_t vocab_size,
                           std::string* architecture, bool* tie_word_embeddings,
                           std::string* torch_dtype,
                           std::initializer_list<std::pair<const char*, int64_t*>> ids);

template <class ModelConfig>
Status ParseTopLevel(const JsonScope& root, const JsonScope& text, ModelConfig* c) {
  return ParseTopLevelFields(root, text, c->text.vocab_size, &c->architecture,
                             &c->tie_word_embeddings, &c->torch_dtype,
                             {{"image_token_id", &c->image_token_id},
                              {"video_token_id", &c->video_token_id},
                              {"vision_start_token_id", &c->vision_start_token_id},
                              {"vision_end_token_id", &c->vision_end_token_id}});
}

}  // namespace corgi::model_internal
