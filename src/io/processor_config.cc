// preprocessor_config.json and generation_config.json (spec/qwen3-vl.md §1.1).
#include <cmath>

#include "corgi/core/mapped_file.h"
#include "corgi/io/checkpoint_configs.h"
#include "io/json_util.h"

namespace corgi {
namespace {

using io_internal::JsonScope;
using nlohmann::json;

Status ParseRootObject(std::string_view text, const std::string& file, json* root) {
  CORGI_RETURN_IF_ERROR(io_internal::ParseJson(text, file, /*reject_duplicate_keys=*/false, root));
  if (!root->is_object()) return InvalidArgumentError(file + ": must be a JSON object");
  return Status::Ok();
}

Status ReadTriple(const JsonScope& s, const char* key, std::array<float, 3>* out, bool positive) {
  std::vector<double> values;
  CORGI_RETURN_IF_ERROR(s.NumberArray(key, true, &values));
  if (values.size() != 3) {
    return s.Error(s.Path(key) + " must have 3 entries (R, G, B), got " +
                   std::to_string(values.size()));
  }
  for (int i = 0; i < 3; ++i) {
    if (!std::isfinite(values[i]) || (positive && !(values[i] > 0))) {
      return s.Error(s.Path(key) + "[" + std::to_string(i) + "] must be a " +
                     (positive ? "positive" : "finite") + " number");
    }
    (*out)[i] = static_cast<float>(values[i]);
  }
  return Status::Ok();
}

// min/max pixel counts: `size` {shortest_edge, longest_edge} (both pixel counts), with the
// older top-level min_pixels / max_pixels overriding them as transformers does.
Status ReadPixelBounds(const JsonScope& s, PreprocessorConfig* c) {
  JsonScope size = s;
  bool has_size = false;
  CORGI_RETURN_IF_ERROR(s.Object("size", false, &size, &has_size));
  if (has_size) {
    CORGI_RETURN_IF_ERROR(size.PositiveInt("shortest_edge", true, &c->min_pixels));
    CORGI_RETURN_IF_ERROR(size.PositiveInt("longest_edge", true, &c->max_pixels));
  } else if (!s.Has("min_pixels") || !s.Has("max_pixels")) {
    return s.Error(
        "missing required key size (with shortest_edge and longest_edge) or "
        "min_pixels and max_pixels");
  }
  CORGI_RETURN_IF_ERROR(s.PositiveInt("min_pixels", false, &c->min_pixels));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("max_pixels", false, &c->max_pixels));
  if (c->max_pixels < c->min_pixels) {
    return s.Error("max pixels (" + std::to_string(c->max_pixels) + ") is below min pixels (" +
                   std::to_string(c->min_pixels) + ")");
  }
  return Status::Ok();
}

StatusOr<PreprocessorConfig> ParsePreprocessorNamed(std::string_view text,
                                                    const std::string& file) {
  json root;
  CORGI_RETURN_IF_ERROR(ParseRootObject(text, file, &root));
  JsonScope s(&root, file, "");
  PreprocessorConfig c;
  CORGI_RETURN_IF_ERROR(ReadPixelBounds(s, &c));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("patch_size", true, &c.patch_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("temporal_patch_size", true, &c.temporal_patch_size));
  CORGI_RETURN_IF_ERROR(s.PositiveInt("merge_size", true, &c.merge_size));
  CORGI_RETURN_IF_ERROR(ReadTriple(s, "image_mean", &c.image_mean, /*positive=*/false));
  CORGI_RETURN_IF_ERROR(ReadTriple(s, "image_std", &c.image_std, /*positive=*/true));
  CORGI_RETURN_IF_ERROR(s.Number("rescale_factor", false, &c.rescale_factor));
  if (!(c.rescale_factor > 0) || !std::isfinite(c.rescale_factor)) {
    return s.Error("rescale_factor must be a positive number");
  }
  int64_t resample = c.resample;
  CORGI_RETURN_IF_ERROR(s.Int("resample", false, &resample));
  if (resample != 3) {
    return UnimplementedError(file + ": resample " + std::to_string(resample) +
                              " is not supported (only 3, bicubic)");
  }
  c.resample = 3;
  CORGI_RETURN_IF_ERROR(s.Bool("do_resize", false, &c.do_resize));
  CORGI_RETURN_IF_ERROR(s.Bool("do_rescale", false, &c.do_rescale));
  CORGI_RETURN_IF_ERROR(s.Bool("do_normalize", false, &c.do_normalize));
  CORGI_RETURN_IF_ERROR(s.Bool("do_convert_rgb", false, &c.do_convert_rgb));
  CORGI_RETURN_IF_ERROR(s.String("image_processor_type", false, &c.image_processor_type));
  return c;
}

Status CheckNonNegativeId(const JsonScope& s, const char* key, int64_t value) {
  if (value < 0)
    return s.Error(s.Path(key) + " must be a non-negative token id, got " + std::to_string(value));
  return Status::Ok();
}

// eos_token_id: a single id or a list of ids.
Status ReadEosIds(const JsonScope& s, GenerationConfig* c) {
  if (!s.Has("eos_token_id")) return Status::Ok();
  if (s.raw().at("eos_token_id").is_array()) {
    CORGI_RETURN_IF_ERROR(s.IntArray("eos_token_id", true, &c->eos_token_ids));
  } else {
    int64_t id = 0;
    CORGI_RETURN_IF_ERROR(s.Int("eos_token_id", true, &id));
    c->eos_token_ids = {id};
  }
  for (int64_t id : c->eos_token_ids)
    CORGI_RETURN_IF_ERROR(CheckNonNegativeId(s, "eos_token_id", id));
  return Status::Ok();
}

StatusOr<GenerationConfig> ParseGenerationNamed(std::string_view text, const std::string& file) {
  json root;
  CORGI_RETURN_IF_ERROR(ParseRootObject(text, file, &root));
  JsonScope s(&root, file, "");
  GenerationConfig c;
  CORGI_RETURN_IF_ERROR(ReadEosIds(s, &c));
  CORGI_RETURN_IF_ERROR(s.Int("bos_token_id", false, &c.bos_token_id));
  CORGI_RETURN_IF_ERROR(s.Int("pad_token_id", false, &c.pad_token_id));
  if (s.Has("bos_token_id"))
    CORGI_RETURN_IF_ERROR(CheckNonNegativeId(s, "bos_token_id", c.bos_token_id));
  if (s.Has("pad_token_id"))
    CORGI_RETURN_IF_ERROR(CheckNonNegativeId(s, "pad_token_id", c.pad_token_id));
  CORGI_RETURN_IF_ERROR(s.Bool("do_sample", false, &c.do_sample));
  CORGI_RETURN_IF_ERROR(s.Number("temperature", false, &c.temperature));
  CORGI_RETURN_IF_ERROR(s.Number("top_p", false, &c.top_p));
  CORGI_RETURN_IF_ERROR(s.Int("top_k", false, &c.top_k));
  CORGI_RETURN_IF_ERROR(s.Number("repetition_penalty", false, &c.repetition_penalty));
  if (!(c.temperature >= 0) || !std::isfinite(c.temperature)) {
    return s.Error("temperature must be a non-negative number");
  }
  if (!(c.top_p > 0 && c.top_p <= 1)) return s.Error("top_p must be in (0, 1]");
  if (c.top_k < 0) return s.Error("top_k must be non-negative");
  if (!(c.repetition_penalty > 0) || !std::isfinite(c.repetition_penalty)) {
    return s.Error("repetition_penalty must be a positive number");
  }
  return c;
}

template <typename T, typename Fn>
StatusOr<T> Guarded(const std::string& file, Fn fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return InternalError(file + ": unexpected error: " + e.what());
  }
}

}  // namespace

StatusOr<PreprocessorConfig> ParsePreprocessorConfig(std::string_view json_text) {
  const std::string file = "preprocessor_config.json";
  return Guarded<PreprocessorConfig>(file, [&] { return ParsePreprocessorNamed(json_text, file); });
}

StatusOr<GenerationConfig> ParseGenerationConfig(std::string_view json_text) {
  const std::string file = "generation_config.json";
  return Guarded<GenerationConfig>(file, [&] { return ParseGenerationNamed(json_text, file); });
}

StatusOr<PreprocessorConfig> LoadPreprocessorConfig(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return Guarded<PreprocessorConfig>(path, [&] { return ParsePreprocessorNamed(text, path); });
}

StatusOr<GenerationConfig> LoadGenerationConfig(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return Guarded<GenerationConfig>(path, [&] { return ParseGenerationNamed(text, path); });
}

std::string PreprocessorConfigToJson(const PreprocessorConfig& c) {
  json root = {
      {"size", {{"shortest_edge", c.min_pixels}, {"longest_edge", c.max_pixels}}},
      {"patch_size", c.patch_size},
      {"temporal_patch_size", c.temporal_patch_size},
      {"merge_size", c.merge_size},
      {"image_mean", c.image_mean},
      {"image_std", c.image_std},
      {"rescale_factor", c.rescale_factor},
      {"resample", c.resample},
      {"do_resize", c.do_resize},
      {"do_rescale", c.do_rescale},
      {"do_normalize", c.do_normalize},
      {"do_convert_rgb", c.do_convert_rgb},
      {"image_processor_type", c.image_processor_type},
      {"processor_class", "Qwen3VLProcessor"},
  };
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string GenerationConfigToJson(const GenerationConfig& c) {
  json root = {
      {"do_sample", c.do_sample},
      {"temperature", c.temperature},
      {"top_p", c.top_p},
      {"top_k", c.top_k},
      {"repetition_penalty", c.repetition_penalty},
      {"transformers_version", "4.57.0"},
  };
  if (c.eos_token_ids.size() == 1) {
    root["eos_token_id"] = c.eos_token_ids[0];
  } else if (!c.eos_token_ids.empty()) {
    root["eos_token_id"] = c.eos_token_ids;
  }
  if (c.bos_token_id >= 0) root["bos_token_id"] = c.bos_token_id;
  if (c.pad_token_id >= 0) root["pad_token_id"] = c.pad_token_id;
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace corgi
