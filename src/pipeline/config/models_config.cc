#include "pipeline/config/models_config.h"

#include "pipeline/config/config_keys.h"

#include <cmath>
#include <set>

namespace corgi::pipeline {
namespace {

const char* const kPhases[] = {"default", "reasoning", "grounding", "caption", "ocr", "synthesis"};
const char* const kDialects[] = {"openai", "corgi", "vllm", "sglang", "llama-server"};
const char* const kReasoningFormats[] = {"", "native", "grammar", "json", "free"};

template <size_t N>
bool OneOf(const std::string& value, const char* const (&names)[N]) {
  for (const char* n : names)
    if (value == n) return true;
  return false;
}

template <size_t N>
std::string List(const char* const (&names)[N]) {
  std::string out;
  for (const char* n : names) {
    if (*n == '\0') continue;
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Reads one scalar of type T from `node`, or an error naming `path`.
template <typename T>
Status ReadScalar(const YAML::Node& node, const std::string& path, const char* what,
                  const ConfigErrorFn& error, T* out) {
  if (!node.IsScalar()) return error(node.Mark(), path, std::string("expected ") + what);
  try {
    *out = node.as<T>();
  } catch (const YAML::Exception&) {
    return error(node.Mark(), path, std::string("expected ") + what + ", got '" + node.Scalar() + "'");
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(*out)) return error(node.Mark(), path, std::string("expected ") + what);
  }
  return Status::Ok();
}

// Calls fn(name, path of the key, key node, value node) for each entry of a mapping,
// refusing non-scalar and duplicate keys.
template <typename Fn>
Status ForEachKey(const YAML::Node& node, const std::string& path, const ConfigErrorFn& error, Fn fn) {
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    const std::string p = path + "." + name;
    if (!seen.insert(name).second) return error(key.Mark(), p, "duplicate key");
    CORGI_RETURN_IF_ERROR(fn(name, p, key, value));
  }
  return Status::Ok();
}

Status ParseEndpoint(const YAML::Node& node, const std::string& path, const ConfigErrorFn& error,
                     EndpointConfig* e) {
  if (!node.IsMap())
    return error(node.Mark(), path, "expected a mapping (url: ..., model: ..., dialect: ...)");
  return ForEachKey(node, path, error, [&](const std::string& name, const std::string& p,
                                            const YAML::Node& key, const YAML::Node& value) {
    if (name == "url") {
      CORGI_RETURN_IF_ERROR(ReadScalar(value, p, "a URL", error, &e->url));
    } else if (name == "model") {
      CORGI_RETURN_IF_ERROR(ReadScalar(value, p, "a string", error, &e->model));
    } else if (name == "api_key_env") {
      CORGI_RETURN_IF_ERROR(ReadScalar(value, p, "an environment variable name", error, &e->api_key_env));
    } else if (name == "dialect") {
      CORGI_RETURN_IF_ERROR(ReadScalar(value, p, "a string", error, &e->dialect));
    } else if (name == "max_in_flight") {
      CORGI_RETURN_IF_ERROR(ReadScalar(value, p, "an integer", error, &e->max_in_flight));
    } else if (name == "api_key") {
      return error(key.Mark(), p,
                   "keys are never written in configs: put the key in an environment variable "
                   "and name it with api_key_env");
    } else {
      return error(key.Mark(), p, "unknown key (url, model, api_key_env, dialect, max_in_flight)");
    }
    return Status::Ok();
  });
}

Status ParsePhase(const YAML::Node& node, const std::string& path, const ConfigErrorFn& error,
                  PhaseModelConfig* phase) {
  if (!node.IsMap())
    return error(node.Mark(), path, "expected a mapping (checkpoint: DIR, or endpoints: [...])");
  RemoteModelConfig& r = phase->remote;
  CORGI_RETURN_IF_ERROR(ForEachKey(node, path, error, [&](const std::string& name, const std::string& p,
                                                          const YAML::Node& key, const YAML::Node& value) {
    Status s = Status::Ok();
    if (name == "checkpoint") {
      s = ReadScalar(value, p, "a checkpoint directory", error, &phase->checkpoint);
    } else if (name == "endpoints") {
      if (!value.IsSequence() || value.size() == 0)
        return error(value.Mark(), p, "expected a non-empty list of endpoints");
      r.endpoints.clear();
      for (size_t i = 0; i < value.size(); ++i) {
        EndpointConfig e;
        CORGI_RETURN_IF_ERROR(
            ParseEndpoint(value[i], p + "[" + std::to_string(i) + "]", error, &e));
        r.endpoints.push_back(std::move(e));
      }
    } else if (name == "grounding_space") {
      s = ReadScalar(value, p, "a string", error, &r.grounding_space);
    } else if (name == "patch_size") {
      s = ReadScalar(value, p, "an integer", error, &r.patch_size);
    } else if (name == "merge_size") {
      s = ReadScalar(value, p, "an integer", error, &r.merge_size);
    } else if (name == "min_pixels") {
      s = ReadScalar(value, p, "an integer", error, &r.min_pixels);
    } else if (name == "max_pixels") {
      s = ReadScalar(value, p, "an integer", error, &r.max_pixels);
    } else if (name == "reasoning_format") {
      s = ReadScalar(value, p, "a string", error, &r.reasoning_format);
    } else if (name == "image_format") {
      s = ReadScalar(value, p, "a string", error, &r.image_format);
    } else if (name == "jpeg_quality") {
      s = ReadScalar(value, p, "an integer", error, &r.jpeg_quality);
    } else if (name == "timeout_s") {
      s = ReadScalar(value, p, "a number", error, &r.timeout_s);
    } else if (name == "max_retries") {
      s = ReadScalar(value, p, "an integer", error, &r.max_retries);
    } else if (name == "retry_backoff_s") {
      s = ReadScalar(value, p, "a number", error, &r.retry_backoff_s);
    } else if (name == "eject_s") {
      s = ReadScalar(value, p, "a number", error, &r.eject_s);
    } else {
      std::string known;
      for (const std::string& k : ModelsKeyPaths())
        if (k.find('.') == std::string::npos && k.find('[') == std::string::npos)
          known += (known.empty() ? "" : ", ") + k;
      return error(key.Mark(), p, "unknown key (" + known + ")");
    }
    return s;
  }));
  if (phase->checkpoint.empty() == r.endpoints.empty())
    return error(node.Mark(), path, "give exactly one of checkpoint or endpoints");
  return Status::Ok();
}

Status ValidatePhase(const PhaseModelConfig& phase, const std::string& path) {
  if (!phase.is_set()) return Status::Ok();
  auto bad = [&path](const std::string& key, const std::string& message) {
    return InvalidArgumentError(path + "." + key + ": " + message);
  };
  const RemoteModelConfig& r = phase.remote;
  if (!phase.checkpoint.empty() && !r.endpoints.empty())
    return InvalidArgumentError(path + ": give exactly one of checkpoint or endpoints");
  for (size_t i = 0; i < r.endpoints.size(); ++i) {
    const EndpointConfig& e = r.endpoints[i];
    const std::string ep = "endpoints[" + std::to_string(i) + "]";
    if (e.url.rfind("http://", 0) != 0 && e.url.rfind("https://", 0) != 0)
      return bad(ep + ".url", "expected an http:// or https:// URL, got '" + e.url + "'");
    if (!OneOf(e.dialect, kDialects))
      return bad(ep + ".dialect", "expected one of " + List(kDialects) + ", got '" + e.dialect + "'");
    if (e.max_in_flight < 1 || e.max_in_flight > 1024)
      return bad(ep + ".max_in_flight", "expected 1..1024");
  }
  if (r.grounding_space != "relative_1000" && r.grounding_space != "resized_input_pixels")
    return bad("grounding_space", "expected relative_1000 or resized_input_pixels, got '" +
                                      r.grounding_space + "'");
  if (r.patch_size < 1 || r.patch_size > 1024) return bad("patch_size", "expected 1..1024");
  if (r.merge_size < 1 || r.merge_size > 16) return bad("merge_size", "expected 1..16");
  if (r.min_pixels < 1 || r.max_pixels < r.min_pixels || r.max_pixels > (int64_t{1} << 30))
    return bad("min_pixels", "expected 1 <= min_pixels <= max_pixels <= 2^30");
  if (!OneOf(r.reasoning_format, kReasoningFormats))
    return bad("reasoning_format", "expected one of " + List(kReasoningFormats) + ", got '" +
                                       r.reasoning_format + "'");
  if (r.image_format != "png" && r.image_format != "jpeg")
    return bad("image_format", "expected png or jpeg, got '" + r.image_format + "'");
  if (r.jpeg_quality < 1 || r.jpeg_quality > 100) return bad("jpeg_quality", "expected 1..100");
  if (!(r.timeout_s > 0 && r.timeout_s <= 86400)) return bad("timeout_s", "expected (0, 86400]");
  if (r.max_retries < 0 || r.max_retries > 100) return bad("max_retries", "expected 0..100");
  if (!(r.retry_backoff_s >= 0 && r.retry_backoff_s <= 600))
    return bad("retry_backoff_s", "expected [0, 600]");
  if (!(r.eject_s >= 0 && r.eject_s <= 86400)) return bad("eject_s", "expected [0, 86400]");
  return Status::Ok();
}


}  // namespace

PhaseModelConfig* ModelsConfig::Find(const std::string& phase) {
  return const_cast<PhaseModelConfig*>(static_cast<const ModelsConfig*>(this)->Find(phase));
}

const PhaseModelConfig* ModelsConfig::Find(const std::string& phase) const {
  if (phase == "default") return &default_model;
  if (phase == "reasoning") return &reasoning;
  if (phase == "grounding") return &grounding;
  if (phase == "caption") return &caption;
  if (phase == "ocr") return &ocr;
  if (phase == "synthesis") return &synthesis;
  return nullptr;
}

Status ParseModelsSection(const YAML::Node& node, const ConfigErrorFn& error, ModelsConfig* models) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap())
    return error(node.Mark(), "models", "expected a mapping of phases (" + List(kPhases) + ")");
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    const std::string path = "models." + name;
    PhaseModelConfig* phase = models->Find(name);
    if (phase == nullptr) return error(key.Mark(), path, "unknown phase (" + List(kPhases) + ")");
    if (!seen.insert(name).second) return error(key.Mark(), path, "duplicate key");
    *phase = PhaseModelConfig{};
    CORGI_RETURN_IF_ERROR(ParsePhase(it->second, path, error, phase));
    if (Status s = ValidatePhase(*phase, path); !s.ok()) return error(it->second.Mark(), path, s.message());
  }
  return Status::Ok();
}

Status ValidateModels(const ModelsConfig& models) {
  for (const char* name : kPhases) {
    CORGI_RETURN_IF_ERROR(ValidatePhase(*models.Find(name), std::string("models.") + name));
  }
  return Status::Ok();
}

std::string ModelsToYaml(const ModelsConfig& models) {
  std::string out;
  for (const char* name : kPhases) {
    const PhaseModelConfig& p = *models.Find(name);
    if (!p.is_set()) continue;
    out += std::string("  ") + name + ":\n";
    if (!p.checkpoint.empty()) {
      out += "    checkpoint: " + QuoteYaml(p.checkpoint) + "\n";
      continue;
    }
    const RemoteModelConfig& r = p.remote;
    out += "    endpoints:\n";
    for (const EndpointConfig& e : r.endpoints) {
      out += "      - url: " + QuoteYaml(e.url) + "\n";
      if (!e.model.empty()) out += "        model: " + QuoteYaml(e.model) + "\n";
      if (!e.api_key_env.empty()) out += "        api_key_env: " + QuoteYaml(e.api_key_env) + "\n";
      out += "        dialect: " + QuoteYaml(e.dialect) + "\n";
      out += "        max_in_flight: " + std::to_string(e.max_in_flight) + "\n";
    }
    out += "    grounding_space: " + QuoteYaml(r.grounding_space) + "\n";
    out += "    patch_size: " + std::to_string(r.patch_size) + "\n";
    out += "    merge_size: " + std::to_string(r.merge_size) + "\n";
    out += "    min_pixels: " + std::to_string(r.min_pixels) + "\n";
    out += "    max_pixels: " + std::to_string(r.max_pixels) + "\n";
    out += "    reasoning_format: " + QuoteYaml(r.reasoning_format) + "\n";
    out += "    image_format: " + QuoteYaml(r.image_format) + "\n";
    out += "    jpeg_quality: " + std::to_string(r.jpeg_quality) + "\n";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", r.timeout_s);
    out += std::string("    timeout_s: ") + buf + "\n";
    out += "    max_retries: " + std::to_string(r.max_retries) + "\n";
    std::snprintf(buf, sizeof buf, "%.17g", r.retry_backoff_s);
    out += std::string("    retry_backoff_s: ") + buf + "\n";
    std::snprintf(buf, sizeof buf, "%.17g", r.eject_s);
    out += std::string("    eject_s: ") + buf + "\n";
  }
  return out;
}

std::vector<std::string> ModelsKeyPaths() {
  return {"checkpoint",   "endpoints",       "endpoints[].url",          "endpoints[].model",
          "endpoints[].api_key_env", "endpoints[].dialect", "endpoints[].max_in_flight",
          "grounding_space", "patch_size",   "merge_size",      "min_pixels",
          "max_pixels",      "reasoning_format", "image_format", "jpeg_quality",
          "timeout_s",       "max_retries",  "retry_backoff_s", "eject_s"};
}

}  // namespace corgi::pipeline
