// POST /v1/chat/completions: the JSON body to a validated engine Request (docs/SERVER.md).
#include "apps/server/chat_request.h"

#include <algorithm>
#include <random>

namespace corgi::server {
namespace {

using nlohmann::json;


std::optional<ApiError> TypeError(const std::string& param, const char* expected, const json& got) {
  return BadRequest("'" + param + "' must be " + expected + ", got " + JsonTypeName(got),
                    "invalid_type", param);
}

// Parses one message's content into parts. Images only in user messages.
std::optional<ApiError> ParseContent(const json& content, const std::string& role,
                                     const std::string& param, const ServerLimits& limits,
                                     std::vector<ContentPart>* parts, int64_t* images,
                                     int64_t* text_bytes) {
  auto add_text = [&](const json& text, const std::string& p) -> std::optional<ApiError> {
    if (!text.is_string()) return TypeError(p, "a string", text);
    *text_bytes += static_cast<int64_t>(text.get_ref<const std::string&>().size());
    if (*text_bytes > limits.max_text_bytes)
      return BadRequest("message text exceeds " + std::to_string(limits.max_text_bytes) + " bytes",
                        "text_too_long", p);
    parts->push_back(ContentPart::Text(text.get<std::string>()));
    return std::nullopt;
  };
  if (content.is_string()) return add_text(content, param);
  if (!content.is_array()) return TypeError(param, "a string or an array of content parts", content);
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string p = param + "[" + std::to_string(i) + "]";
    if (!part.is_object()) return TypeError(p, "an object", part);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string())
      return BadRequest("'" + p + ".type' must be \"text\" or \"image_url\"", "invalid_value", p + ".type");
    if (*type == "text") {
      for (const auto& [key, _] : part.items())
        if (key != "type" && key != "text")
          return BadRequest("unknown field '" + p + "." + key + "'", "unknown_parameter", p + "." + key);
      auto text = part.find("text");
      if (text == part.end()) return BadRequest("'" + p + ".text' is required", "missing_required_parameter", p + ".text");
      if (auto e = add_text(*text, p + ".text")) return e;
    } else if (*type == "image_url") {
      if (role != "user")
        return BadRequest("images are only allowed in user messages", "invalid_value", p);
      if (++*images > limits.max_images)
        return BadRequest("more than " + std::to_string(limits.max_images) + " images in one request",
                          "too_many_images", p);
      auto image_url = part.find("image_url");
      if (image_url == part.end()) return BadRequest("'" + p + ".image_url' is required", "missing_required_parameter", p + ".image_url");
      const json* url = nullptr;
      if (image_url->is_string()) {
        url = &*image_url;
      } else if (image_url->is_object()) {
        for (const auto& [key, value] : image_url->items()) {
          if (key == "url") url = &value;
          else if (key != "detail")
            return BadRequest("unknown field '" + p + ".image_url." + key + "'", "unknown_parameter", p + ".image_url." + key);
        }
      }
      if (url == nullptr || !url->is_string())
        return BadRequest("'" + p + ".image_url.url' must be a string", "invalid_type", p + ".image_url.url");
      std::string code;
      StatusOr<RgbImage> image = DecodeImageReference(url->get_ref<const std::string&>(), false, limits, &code);
      if (!image.ok()) return BadRequest(image.status().message(), code, p + ".image_url.url");
      parts->push_back(ContentPart::Image(std::move(*image)));
    } else {
      return BadRequest("unsupported content part type '" + type->get<std::string>().substr(0, 64) +
                            "' (text and image_url are supported)",
                        "invalid_value", p + ".type");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> ParseChatRequest(const json& body, const ServerLimits& limits,
                                         int64_t max_context, ChatRequest* out) {
  Request& r = out->engine;
  r.sampling.temperature = 1.0;  // OpenAI's default
  r.sampling.seed = std::random_device{}();
  r.max_tokens = limits.default_max_tokens;
  bool seen_messages = false;
  for (const auto& [key, v] : body.items()) {
    if (key == "model") {
      if (!v.is_string()) return TypeError(key, "a string", v);
      out->model = v.get<std::string>();
    } else if (key == "messages") {
      seen_messages = true;
      if (!v.is_array() || v.empty()) return BadRequest("'messages' must be a non-empty array", "invalid_type", key);
      if (static_cast<int64_t>(v.size()) > limits.max_messages)
        return BadRequest("more than " + std::to_string(limits.max_messages) + " messages", "too_many_messages", key);
      int64_t images = 0, text_bytes = 0;
      for (size_t i = 0; i < v.size(); ++i) {
        const json& m = v[i];
        const std::string p = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) return TypeError(p, "an object", m);
        auto role = m.find("role");
        if (role == m.end() || !role->is_string())
          return BadRequest("'" + p + ".role' must be a string", "invalid_type", p + ".role");
        std::string role_name = role->get<std::string>();
        if (role_name == "developer") role_name = "system";
        if (role_name != "system" && role_name != "user" && role_name != "assistant")
          return BadRequest("'" + p + ".role' must be system, developer, user or assistant", "invalid_value", p + ".role");
        Message message;
        message.role = role_name;
        bool has_content = false;
        for (const auto& [mk, mv] : m.items()) {
          if (mk == "role" || mk == "name") continue;
          if (mk == "content") {
            has_content = true;
            if (mv.is_null() && role_name == "assistant") continue;
            if (auto e = ParseContent(mv, role_name, p + ".content", limits, &message.content, &images, &text_bytes))
              return e;
          } else {
            return BadRequest("unsupported field '" + p + "." + mk + "'", "unknown_parameter", p + "." + mk);
          }
        }
        if (!has_content) return BadRequest("'" + p + ".content' is required", "missing_required_parameter", p + ".content");
        r.messages.push_back(std::move(message));
      }
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      if (v.is_null()) continue;
      if (!v.is_number_integer()) return TypeError(key, "an integer", v);
      int64_t n = v.get<int64_t>();
      int64_t cap = std::min(limits.max_tokens, max_context);
      if (n < 1 || n > cap)
        return BadRequest("'" + key + "' must be in [1, " + std::to_string(cap) + "], got " + std::to_string(n), "invalid_value", key);
      r.max_tokens = n;
    } else if (key == "temperature") {
      if (v.is_null()) continue;
      if (!v.is_number()) return TypeError(key, "a number", v);
      double t = v.get<double>();
      if (!(t >= 0 && t <= 2)) return BadRequest("'temperature' must be in [0, 2]", "invalid_value", key);
      r.sampling.temperature = t;
    } else if (key == "top_p") {
      if (v.is_null()) continue;
      if (!v.is_number()) return TypeError(key, "a number", v);
      double p = v.get<double>();
      if (!(p > 0 && p <= 1)) return BadRequest("'top_p' must be in (0, 1]", "invalid_value", key);
      r.sampling.top_p = p;
    } else if (key == "top_k") {
      if (v.is_null()) continue;
      if (!v.is_number_integer()) return TypeError(key, "an integer", v);
      int64_t k = v.get<int64_t>();
      if (k < 0 || k > (int64_t{1} << 30)) return BadRequest("'top_k' must be >= 0 (0: off)", "invalid_value", key);
      r.sampling.top_k = k;
    } else if (key == "seed") {
      if (v.is_null()) continue;
      if (!v.is_number_integer()) return TypeError(key, "an integer", v);
      r.sampling.seed = v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
    } else if (key == "stop") {
      if (v.is_null()) continue;
      std::vector<json> stops;
      if (v.is_string()) stops.push_back(v);
      else if (v.is_array()) stops.assign(v.begin(), v.end());
      else return TypeError(key, "a string or an array of strings", v);
      if (static_cast<int64_t>(stops.size()) > limits.max_stop)
        return BadRequest("at most " + std::to_string(limits.max_stop) + " stop strings", "invalid_value", key);
      for (const json& s : stops) {
        if (!s.is_string()) return TypeError(key, "a string or an array of strings", s);
        const std::string& text = s.get_ref<const std::string&>();
        if (text.empty() || static_cast<int64_t>(text.size()) > limits.max_stop_bytes)
          return BadRequest("stop strings must be 1 to " + std::to_string(limits.max_stop_bytes) + " bytes", "invalid_value", key);
        r.stop.push_back(text);
      }
    } else if (key == "stream") {
      if (v.is_null()) continue;
      if (!v.is_boolean()) return TypeError(key, "a boolean", v);
      out->stream = v.get<bool>();
    } else if (key == "stream_options") {
      if (v.is_null()) continue;
      if (!v.is_object()) return TypeError(key, "an object", v);
      for (const auto& [sk, sv] : v.items()) {
        if (sk != "include_usage") return BadRequest("unknown field 'stream_options." + sk + "'", "unknown_parameter", key + "." + sk);
        if (!sv.is_boolean()) return TypeError(key + ".include_usage", "a boolean", sv);
        out->include_usage = sv.get<bool>();
      }
    } else if (key == "response_format") {
      if (v.is_null()) continue;
      if (!v.is_object() || !v.contains("type") || !v["type"].is_string())
        return BadRequest("'response_format' must be {\"type\": \"text\" | \"json_object\" | \"json_schema\", ...}", "invalid_type", key);
      const std::string type = v["type"];
      if (type == "json_object") {
        r.constraint.json_schema = R"({"type":"object"})";
      } else if (type == "json_schema") {
        const json* schema = nullptr;
        if (v.contains("json_schema") && v["json_schema"].is_object()) {
          for (const auto& [jk, jv] : v["json_schema"].items()) {
            if (jk == "schema") schema = &jv;
            else if (jk != "name" && jk != "strict" && jk != "description")
              return BadRequest("unknown field 'response_format.json_schema." + jk + "'", "unknown_parameter", "response_format.json_schema." + jk);
          }
        }
        if (schema == nullptr || !schema->is_object())
          return BadRequest("'response_format.json_schema.schema' must be a JSON Schema object", "invalid_type", "response_format.json_schema.schema");
        r.constraint.json_schema = schema->dump();
      } else if (type != "text") {
        return BadRequest("'response_format.type' must be text, json_object or json_schema", "invalid_value", "response_format.type");
      }
    } else if (key == "corgi_constraint") {
      // corgi's own extension (docs/SERVER.md): the engine's whole Constraint — free text
      // up to a literal, a prefix, a JSON schema, a suffix — as corgi's remote Vlm sends
      // (the reasoning call's shape has no response_format equivalent). The schema comes
      // as text: a parsed object would lose its property order, which the output follows.
      if (v.is_null()) continue;
      if (!v.is_object()) return TypeError(key, "an object", v);
      for (const auto& [ck, cv] : v.items()) {
        const std::string p = key + "." + ck;
        if (ck == "json_schema") {
          if (!cv.is_string()) return TypeError(p, "a string holding a JSON Schema", cv);
          json schema = json::parse(cv.get_ref<const std::string&>(), nullptr, /*allow_exceptions=*/false);
          if (!schema.is_object()) return BadRequest("'" + p + "' must hold a JSON Schema object", "invalid_value", p);
          r.constraint.json_schema = cv.get<std::string>();
          continue;
        }
        if (ck != "free_text_until" && ck != "prefix" && ck != "suffix")
          return BadRequest("unknown field '" + p + "'", "unknown_parameter", p);
        if (!cv.is_string()) return TypeError(p, "a string", cv);
        const std::string& text = cv.get_ref<const std::string&>();
        if (static_cast<int64_t>(text.size()) > limits.max_stop_bytes)
          return BadRequest("'" + p + "' is longer than " + std::to_string(limits.max_stop_bytes) + " bytes",
                            "invalid_value", p);
        (ck == "free_text_until" ? r.constraint.free_text_until
         : ck == "prefix"        ? r.constraint.prefix
                                 : r.constraint.suffix) = text;
      }
      if (v.contains("json_schema") && body.contains("response_format") && !body["response_format"].is_null())
        return BadRequest("give either response_format or corgi_constraint.json_schema", "invalid_value", key);
    } else if (key == "n") {
      if (!v.is_null() && v != 1) return BadRequest("only n = 1 is supported", "unsupported_value", key);
    } else if (key == "logprobs") {
      if (!v.is_null() && v != false) return BadRequest("logprobs are not supported", "unsupported_value", key);
    } else if (key == "frequency_penalty" || key == "presence_penalty") {
      if (!v.is_null() && (!v.is_number() || v.get<double>() != 0))
        return BadRequest("'" + key + "' is not supported (only 0)", "unsupported_value", key);
    } else if (key == "tools" || key == "tool_choice" || key == "functions" || key == "function_call" || key == "logit_bias" || key == "top_logprobs") {
      if (!v.is_null() && !(v.is_array() && v.empty()) && !(v.is_object() && v.empty()) && v != "none")
        return BadRequest("'" + key + "' is not supported", "unsupported_value", key);
    } else if (key == "user" || key == "metadata" || key == "store" || key == "service_tier" ||
               key == "parallel_tool_calls") {
      // Accepted and ignored, as they change nothing here.
    } else {
      return BadRequest("Unrecognized request argument supplied: " + key.substr(0, 64), "unknown_parameter", key.substr(0, 64));
    }
  }
  if (!seen_messages) return BadRequest("'messages' is required", "missing_required_parameter", "messages");
  return std::nullopt;
}

}  // namespace corgi::server
