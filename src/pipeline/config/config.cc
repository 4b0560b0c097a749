// PipelineConfig from YAML (yaml-cpp), validated. Every key lives in one table (kKeys);
// the parser walks the YAML tree against it, so a key that is not in the table is an error
// and every key in the table is read. Messages name the key path and, for file input, the
// line and column ("cfg.yaml:4:11: ocr.engine: expected 'tesseract' or 'vlm', got 'x'").
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "corgi/core/mapped_file.h"
#include "corgi/core/thread_pool.h"
#include "corgi/image/decode.h"
#include "corgi/image/resize.h"
#include "corgi/pipeline/config.h"
#include "pipeline/config/config_keys.h"
#include "pipeline/config/models_config.h"
#include "pipeline/config/yaml_document.h"

namespace corgi::pipeline {
namespace {

enum class Kind { kInt, kUint, kDouble, kBool, kString };

struct KeySpec {
  const char* path;
  Kind kind;
  void* (*field)(PipelineConfig*);  // the member this key sets
};

#define CORGI_CONFIG_KEY(path, kind, member)                                \
  KeySpec {                                                                 \
    path, Kind::kind, [](PipelineConfig* c) -> void* { return &c->member; } \
  }

// Order: as in config.h, which is also the order of docs/CONFIG.md and configs/default.yaml.
const KeySpec kKeys[] = {
    CORGI_CONFIG_KEY("max_steps", kInt, max_steps),
    CORGI_CONFIG_KEY("max_regions", kInt, max_regions),
    CORGI_CONFIG_KEY("nms_iou", kDouble, nms_iou),
    CORGI_CONFIG_KEY("crop_expand", kDouble, crop_expand),
    CORGI_CONFIG_KEY("budgets.reasoning", kInt, budgets.reasoning),
    CORGI_CONFIG_KEY("budgets.grounding", kInt, budgets.grounding),
    CORGI_CONFIG_KEY("budgets.caption", kInt, budgets.caption),
    CORGI_CONFIG_KEY("budgets.ocr_vlm", kInt, budgets.ocr_vlm),
    CORGI_CONFIG_KEY("budgets.synthesis", kInt, budgets.synthesis),
    CORGI_CONFIG_KEY("sampling.temperature", kDouble, sampling.temperature),
    CORGI_CONFIG_KEY("sampling.top_k", kInt, sampling.top_k),
    CORGI_CONFIG_KEY("sampling.top_p", kDouble, sampling.top_p),
    CORGI_CONFIG_KEY("sampling.seed", kUint, sampling.seed),
    CORGI_CONFIG_KEY("ocr.engine", kString, ocr.engine),
    CORGI_CONFIG_KEY("ocr.languages", kString, ocr.languages),
    CORGI_CONFIG_KEY("ocr.data_path", kString, ocr.data_path),
    CORGI_CONFIG_KEY("ocr.min_text_height", kInt, ocr.min_text_height),
    CORGI_CONFIG_KEY("ocr.workers", kInt, ocr.workers),
    CORGI_CONFIG_KEY("image.max_pixels", kInt, image.max_pixels),
    CORGI_CONFIG_KEY("image.min_pixels", kInt, image.min_pixels),
    CORGI_CONFIG_KEY("image.max_decode_pixels", kInt, image.max_decode_pixels),
    CORGI_CONFIG_KEY("outputs.crops", kBool, outputs.crops),
    CORGI_CONFIG_KEY("outputs.visualization", kBool, outputs.visualization),
    CORGI_CONFIG_KEY("outputs.report", kBool, outputs.report),
    CORGI_CONFIG_KEY("outputs.trace", kBool, outputs.trace),
    CORGI_CONFIG_KEY("engine.threads", kInt, engine.threads),
    CORGI_CONFIG_KEY("engine.max_context", kInt, engine.max_context),
    CORGI_CONFIG_KEY("engine.kv_cache_mb", kInt, engine.kv_cache_mb),
    CORGI_CONFIG_KEY("engine.vision_cache_mb", kInt, engine.vision_cache_mb),
    CORGI_CONFIG_KEY("engine.prefix_cache", kBool, engine.prefix_cache),
    CORGI_CONFIG_KEY("engine.max_batch", kInt, engine.max_batch),
    CORGI_CONFIG_KEY("engine.lookup_draft_tokens", kInt, engine.lookup_draft_tokens),
    CORGI_CONFIG_KEY("engine.weights", kString, engine.weights),
};

#undef CORGI_CONFIG_KEY

const KeySpec* FindKey(const std::string& path) {
  for (const KeySpec& k : kKeys)
    if (path == k.path) return &k;
  return nullptr;
}

// True if `path` names a section ("ocr"), i.e. some key starts with "path.".
bool IsSection(const std::string& path) {
  for (const KeySpec& k : kKeys) {
    std::string_view key = k.path;
    if (key.size() > path.size() && key.compare(0, path.size(), path) == 0 &&
        key[path.size()] == '.')
      return true;
  }
  return false;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kInt:
      return "an integer";
    case Kind::kUint:
      return "a non-negative integer";
    case Kind::kDouble:
      return "a number";
    case Kind::kBool:
      return "true or false";
    case Kind::kString:
      return "a string";
  }
  return "?";
}

// Restricted Damerau-Levenshtein (optimal string alignment): a swap of two neighbours
// counts 1, the most common typo ("enigne").
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string LastComponent(const std::string& path) {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// ---- scalar parsing (strict: the whole text must be the value) ----

std::optional<int64_t> ParseInt(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseUint(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  // strtod also takes "inf", "nan" and hex floats; a setting is never any of those.
  if (*end != '\0' || !std::isfinite(v) || text.find_first_of("xXnN") != std::string::npos)
    return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  // YAML 1.2 spells booleans true/false; YAML 1.1's yes/no/on/off are still common in configs.
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

const char* NodeTypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
}

// ---- the tree walk ----

struct ParseState {
  std::string source;
  PipelineConfig config;
  std::map<std::string, YAML::Mark> marks;  // where each key was set, for later messages
  // Per-query settings (ApplyQuerySettings): only IsQuerySettingKey keys, and JSON types
  // strictly (a quoted "6" is not a number, a bare 5 is not a string).
  bool query_settings = false;
};

std::string Where(const ParseState& state, const YAML::Mark& mark) {
  if (mark.is_null() || state.query_settings) return state.source;
  return state.source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

Status KeyError(const ParseState& state, const YAML::Mark& mark, const std::string& path,
                const std::string& message) {
  return InvalidArgumentError(Where(state, mark) + ": " + path + ": " + message);
}

Status SetValue(const KeySpec& key, const YAML::Node& node, ParseState* state) {
  const std::string path = key.path;
  void* field = key.field(&state->config);
  if (node.IsNull() && key.kind == Kind::kString && !state->query_settings) {  // "data_path:" with nothing = empty string
    *static_cast<std::string*>(field) = "";
    return Status::Ok();
  }
  if (!node.IsScalar()) {
    return KeyError(*state, node.Mark(), path,
                    std::string("expected ") + KindName(key.kind) + ", got " + NodeTypeName(node));
  }
  const std::string& text = node.Scalar();
  if (state->query_settings) {
    // yaml-cpp tags a quoted scalar "!" and a plain one "?".
    const bool quoted = node.Tag() == "!";
    if (quoted != (key.kind == Kind::kString)) {
      return KeyError(*state, YAML::Mark::null_mark(), path,
                      std::string("expected ") + KindName(key.kind) + ", got " +
                          (quoted ? "a string" : "'" + text + "'"));
    }
  }
  bool ok = true;
  switch (key.kind) {
    case Kind::kInt: {
      auto v = ParseInt(text);
      if ((ok = v.has_value())) *static_cast<int64_t*>(field) = *v;
      break;
    }
    case Kind::kUint: {
      auto v = ParseUint(text);
      if ((ok = v.has_value())) *static_cast<uint64_t*>(field) = *v;
      break;
    }
    case Kind::kDouble: {
      auto v = ParseDouble(text);
      if ((ok = v.has_value())) *static_cast<double*>(field) = *v;
      break;
    }
    case Kind::kBool: {
      auto v = ParseBool(text);
      if ((ok = v.has_value())) *static_cast<bool*>(field) = *v;
      break;
    }
    case Kind::kString:
      *static_cast<std::string*>(field) = text;
      break;
  }
  if (!ok) {
    return KeyError(*state, node.Mark(), path,
                    std::string("expected ") + KindName(key.kind) + ", got '" + text + "'");
  }
  return Status::Ok();
}

Status WalkMap(const YAML::Node& map, const std::string& prefix, ParseState* state) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // The iterator yields a proxy by value; copy the nodes (cheap handles) out of it.
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    if (!key_node.IsScalar()) {
      return InvalidArgumentError(Where(*state, key_node.Mark()) + ": keys must be plain names" +
                                  (prefix.empty() ? "" : " (in '" + prefix + "')"));
    }
    const std::string name = key_node.Scalar();
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (!seen.insert(name).second)
      return InvalidArgumentError(Where(*state, key_node.Mark()) + ": duplicate key '" + path +
                                  "'");
    if (path == "models") {  // structured: lists of endpoints (models_config.cc)
      if (state->query_settings)
        return InvalidArgumentError(state->source + ": 'models' is not a per-query setting (it "
                                    "is fixed when the service starts: use its config file)");
      auto error = [state](const YAML::Mark& mark, const std::string& key_path,
                           const std::string& message) {
        return KeyError(*state, mark, key_path, message);
      };
      CORGI_RETURN_IF_ERROR(ParseModelsSection(value, error, &state->config.models));
      continue;
    }
    if (const KeySpec* key = FindKey(path); key != nullptr && state->query_settings &&
                                            !IsQuerySettingKey(path)) {
      return InvalidArgumentError(state->source + ": '" + path +
                                  "' is not a per-query setting (it is fixed when the "
                                  "service starts: use its config file)");
    } else if (key != nullptr) {
      // Also catches a key set both nested and flat ("ocr: {engine: x}" and "ocr.engine: y").
      if (state->marks.count(path))
        return InvalidArgumentError(Where(*state, key_node.Mark()) + ": duplicate key '" + path +
                                    "'");
      CORGI_RETURN_IF_ERROR(SetValue(*key, value, state));
      state->marks[path] = value.Mark();
    } else if (IsSection(path)) {
      if (value.IsNull()) continue;  // "ocr:" with nothing under it: all defaults
      if (!value.IsMap()) {
        return KeyError(*state, value.Mark(), path,
                        std::string("expected a mapping of keys, got ") + NodeTypeName(value));
      }
      CORGI_RETURN_IF_ERROR(WalkMap(value, path, state));
    } else {
      std::string message = "unknown key '" + path + "'";
      if (std::string hint = SuggestConfigKey(path); !hint.empty())
        message += " (did you mean '" + hint + "'?)";
      return InvalidArgumentError(Where(*state, key_node.Mark()) + ": " + message +
                                  "; docs/CONFIG.md lists every key");
    }
  }
  return Status::Ok();
}

// ---- validation ----

struct Issue {
  std::string path;
  std::string message;
};

bool ValidLanguages(const std::string& text) {
  if (text.empty() || text.front() == '+' || text.back() == '+' ||
      text.find("++") != std::string::npos)
    return false;
  // Tesseract names: eng, chi_sim, script/Latin, joined by '+'.
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '/' || c == '+';
  });
}

// The image bounds, checked together so a combination smart_resize would refuse at run
// time is reported here, with the line of the key. The checkpoint's own bounds are not
// known yet: a max_pixels below the checkpoint's min_pixels lowers that (see config.h).
std::optional<Issue> FindImageIssue(const ImageConfig& image) {
  static_assert(ImageConfig{}.max_decode_pixels == kDefaultMaxDecodePixels);
  // One 32x32 merged patch (Qwen3-VL: patch 16, merge 2), the smallest smart_resize output.
  constexpr int64_t kMinCap = 1024;
  const std::string limit = std::to_string(kMaxResizePixels);
  if (image.max_pixels != 0 && (image.max_pixels < kMinCap || image.max_pixels > kMaxResizePixels))
    return Issue{"image.max_pixels",
                 "must be 0 (the checkpoint's bound) or in [1024, " + limit +
                     "] (one 32x32 merged patch up to the resize limit, 4096x4096), got " +
                     std::to_string(image.max_pixels)};
  if (image.min_pixels < 0 || image.min_pixels > kMaxResizePixels)
    return Issue{"image.min_pixels", "must be in [0, " + limit + "] (the resize limit), got " +
                                         std::to_string(image.min_pixels)};
  if (image.max_pixels != 0 && image.min_pixels > image.max_pixels)
    return Issue{"image.min_pixels", "must not exceed image.max_pixels (" +
                                         std::to_string(image.max_pixels) + "), got " +
                                         std::to_string(image.min_pixels)};
  if (image.max_decode_pixels < 1 || image.max_decode_pixels > kMaxDecodePixelsCap)
    return Issue{"image.max_decode_pixels",
                 "must be in [1, " + std::to_string(kMaxDecodePixelsCap) + "], got " +
                     std::to_string(image.max_decode_pixels)};
  return std::nullopt;
}

std::optional<Issue> FindIssue(const PipelineConfig& c) {
  auto range = [](const char* path, int64_t v, int64_t lo, int64_t hi) -> std::optional<Issue> {
    if (v >= lo && v <= hi) return std::nullopt;
    return Issue{path, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                           std::to_string(v)};
  };
  auto unit = [](const char* path, double v, double lo, double hi,
                 bool lo_open) -> std::optional<Issue> {
    if (std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi) return std::nullopt;
    std::ostringstream s;
    s << "must be in " << (lo_open ? "(" : "[") << lo << ", " << hi << "], got " << v;
    return Issue{path, s.str()};
  };
  const int64_t ctx = c.engine.max_context;
  std::optional<Issue> issue;
  if ((issue = range("engine.max_context", ctx, 256, int64_t{1} << 20))) return issue;
  if ((issue = range("max_steps", c.max_steps, 1, 32))) return issue;
  if ((issue = range("max_regions", c.max_regions, 1, 16))) return issue;
  if ((issue = unit("nms_iou", c.nms_iou, 0, 1, false))) return issue;
  if ((issue = unit("crop_expand", c.crop_expand, 0, 1, false))) return issue;
  if ((issue = range("budgets.reasoning", c.budgets.reasoning, 1, ctx))) return issue;
  if ((issue = range("budgets.grounding", c.budgets.grounding, 1, ctx))) return issue;
  if ((issue = range("budgets.caption", c.budgets.caption, 1, ctx))) return issue;
  if ((issue = range("budgets.ocr_vlm", c.budgets.ocr_vlm, 1, ctx))) return issue;
  if ((issue = range("budgets.synthesis", c.budgets.synthesis, 1, ctx))) return issue;
  if ((issue = unit("sampling.temperature", c.sampling.temperature, 0, 100, false))) return issue;
  if ((issue = range("sampling.top_k", c.sampling.top_k, 0, int64_t{1} << 30))) return issue;
  if ((issue = unit("sampling.top_p", c.sampling.top_p, 0, 1, true))) return issue;
  if (c.ocr.engine != "tesseract" && c.ocr.engine != "vlm")
    return Issue{"ocr.engine", "expected 'tesseract' or 'vlm', got '" + c.ocr.engine + "'"};
  if (!ValidLanguages(c.ocr.languages))
    return Issue{"ocr.languages",
                 "expected Tesseract language codes joined by '+' (e.g. eng+deu), got '" +
                     c.ocr.languages + "'"};
  if ((issue = range("ocr.min_text_height", c.ocr.min_text_height, 1, 1024))) return issue;
  if ((issue = range("ocr.workers", c.ocr.workers, 1, 64))) return issue;
  if ((issue = FindImageIssue(c.image))) return issue;
  if (c.engine.weights != "none" && c.engine.weights != "q8" && c.engine.weights != "q4")
    return Issue{"engine.weights", "expected 'none', 'q8' or 'q4', got '" + c.engine.weights + "'"};
  // Bounded by the cores (corgi/core/thread_pool.h): 1024 threads on 2 cores once hung.
  if (std::string problem = ThreadCountProblem(c.engine.threads); !problem.empty())
    return Issue{"engine.threads", problem};
  if ((issue = range("engine.kv_cache_mb", c.engine.kv_cache_mb, 0, int64_t{1} << 24))) return issue;
  if ((issue = range("engine.vision_cache_mb", c.engine.vision_cache_mb, 0, int64_t{1} << 24))) return issue;
  if ((issue = range("engine.max_batch", c.engine.max_batch, 1, 256))) return issue;
  if ((issue = range("engine.lookup_draft_tokens", c.engine.lookup_draft_tokens, 0, 64))) return issue;
  return std::nullopt;
}


}  // namespace

std::string QuoteYaml(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::vector<std::string> ConfigKeyPaths() {
  std::vector<std::string> out;
  for (const KeySpec& k : kKeys) out.push_back(k.path);
  return out;
}

std::string ConfigValueText(const PipelineConfig& config, const std::string& path) {
  const KeySpec* key = FindKey(path);
  if (key == nullptr) return "";
  void* field = key->field(const_cast<PipelineConfig*>(&config));  // read only
  switch (key->kind) {
    case Kind::kInt:
      return std::to_string(*static_cast<int64_t*>(field));
    case Kind::kUint:
      return std::to_string(*static_cast<uint64_t*>(field));
    case Kind::kDouble: {
      std::ostringstream s;
      s.precision(17);
      s << *static_cast<double*>(field);
      return s.str();
    }
    case Kind::kBool:
      return *static_cast<bool*>(field) ? "true" : "false";
    case Kind::kString:
      return QuoteYaml(*static_cast<std::string*>(field));
  }
  return "";
}

std::string ConfigToYaml(const PipelineConfig& config) {
  std::string out, section;
  for (const KeySpec& k : kKeys) {
    std::string path = k.path;
    size_t dot = path.find('.');
    std::string sec = dot == std::string::npos ? "" : path.substr(0, dot);
    if (sec != section && !sec.empty()) out += sec + ":\n";
    section = sec;
    out += (sec.empty() ? "" : "  ") + LastComponent(path) + ": " + ConfigValueText(config, path) +
           "\n";
  }
  if (std::string models = ModelsToYaml(config.models); !models.empty()) out += "models:\n" + models;
  return out;
}

std::string SuggestConfigKey(const std::string& typed) {
  const std::string leaf = LastComponent(typed);
  std::string best;
  size_t best_distance = std::max<size_t>(1, leaf.size() / 3) + 1;  // farther than this is no typo
  for (const KeySpec& k : kKeys) {
    // Either the whole path is close ("ocr.enigne"), or the name is right but sits in the
    // wrong section ("temperature" at the top level).
    size_t d = std::min(EditDistance(typed, k.path), EditDistance(leaf, LastComponent(k.path)) + 1);
    if (d < best_distance) {
      best_distance = d;
      best = k.path;
    }
  }
  return best;
}

DecodeOptions ImageDecodeOptions(const PipelineConfig& config) {
  DecodeOptions options;
  options.max_pixels = config.image.max_decode_pixels;
  options.limit_setting = "image.max_decode_pixels";
  return options;
}

Status ValidateConfig(const PipelineConfig& config) {
  if (std::optional<Issue> issue = FindIssue(config))
    return InvalidArgumentError(issue->path + ": " + issue->message);
  return ValidateModels(config.models);
}

namespace {

StatusOr<PipelineConfig> ParseOver(const std::string& yaml_text, const std::string& source_name,
                                   const PipelineConfig& base, bool query_settings) {
  ParseState state;
  state.source = source_name.empty() ? "<config>" : source_name;
  state.config = base;
  state.query_settings = query_settings;
  YamlDocument document;
  try {
    document = LoadOneYamlDocument(yaml_text);
  } catch (const YAML::Exception& e) {  // ParserException carries the position
    return InvalidArgumentError(Where(state, e.mark) + ": malformed YAML: " + e.msg);
  }
  if (document.second_start)
    return InvalidArgumentError(Where(state, *document.second_start) +
                                ": expected one YAML document, found 2 or more (a second "
                                "document, or text after the first, starts here)");
  const YAML::Node& root = document.root;
  try {
    if (root.IsDefined() && !root.IsNull()) {
      if (!root.IsMap()) {
        return InvalidArgumentError(
            Where(state, root.Mark()) +
            ": expected a mapping of keys (max_steps: 6, ocr: {...}), got " + NodeTypeName(root));
      }
      CORGI_RETURN_IF_ERROR(WalkMap(root, "", &state));
    }
  } catch (const YAML::Exception& e) {  // not expected once parsed; never let it escape
    return InvalidArgumentError(Where(state, e.mark) + ": " + e.msg);
  }
  if (std::optional<Issue> issue = FindIssue(state.config)) {
    auto mark = state.marks.find(issue->path);
    std::string where = mark == state.marks.end() ? state.source : Where(state, mark->second);
    return InvalidArgumentError(where + ": " + issue->path + ": " + issue->message);
  }
  return state.config;
}

}  // namespace

StatusOr<PipelineConfig> ParseConfigYaml(const std::string& yaml_text,
                                         const std::string& source_name) {
  return ParseOver(yaml_text, source_name, PipelineConfig{}, /*query_settings=*/false);
}

bool IsQuerySettingKey(const std::string& path) {
  auto in = [&path](std::string_view section) {
    return path.size() > section.size() && path.compare(0, section.size(), section) == 0 &&
           path[section.size()] == '.';
  };
  if (FindKey(path) == nullptr) return false;
  return path == "max_steps" || path == "max_regions" || path == "nms_iou" ||
         path == "crop_expand" || in("budgets") || in("sampling") || path == "ocr.engine" ||
         path == "ocr.languages" || in("outputs");
}

StatusOr<PipelineConfig> ApplyQuerySettings(const PipelineConfig& base,
                                            const std::string& json_text) {
  // JSON is YAML, but not every YAML is JSON: refuse what a JSON object cannot start with,
  // so the settings are an object and never a YAML document of another shape.
  size_t first = json_text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && json_text[first] != '{')
    return InvalidArgumentError("settings: expected a JSON object of settings");
  return ParseOver(json_text, "settings", base, /*query_settings=*/true);
}

StatusOr<PipelineConfig> LoadConfigFile(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseConfigYaml(text, path);
}

}  // namespace corgi::pipeline
