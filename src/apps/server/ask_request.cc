// POST /v1/corgi/ask: a JSON body or a multipart form to a validated query (docs/SERVER.md).
#include "apps/server/ask_request.h"

#include <set>

#include "corgi/tokenizer/utf8.h"

namespace corgi::server {
namespace {

using nlohmann::json;

std::optional<ApiError> ApplySettings(const json& settings, const pipeline::PipelineConfig& base,
                                      AskRequest* out) {
  if (!settings.is_object())
    return BadRequest("'settings' must be an object, got " + JsonTypeName(settings), "invalid_type", "settings");
  StatusOr<pipeline::PipelineConfig> c = pipeline::ApplyQuerySettings(base, settings.dump());
  if (!c.ok()) return BadRequest(c.status().message(), "invalid_settings", "settings");
  out->config = std::move(*c);
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> CheckAskQuestion(const std::string& q, const ServerLimits& limits) {
  if (q.empty()) return BadRequest("'question' must not be empty", "invalid_value", "question");
  if (static_cast<int64_t>(q.size()) > limits.max_question_bytes)
    return BadRequest("'question' exceeds " + std::to_string(limits.max_question_bytes) + " bytes",
                      "question_too_long", "question");
  if (!IsValidUtf8(q)) return BadRequest("'question' is not valid UTF-8", "invalid_utf8", "question");
  return std::nullopt;
}

std::optional<ApiError> ParseAskJson(const json& body, const ServerLimits& limits,
                                     const pipeline::PipelineConfig& base, AskRequest* out) {
  const json* settings = nullptr;
  for (const auto& [key, v] : body.items()) {
    if (key == "image") {
      if (!v.is_string()) return BadRequest("'image' must be a string (a data URL or base64)", "invalid_type", key);
      std::string code;
      StatusOr<RgbImage> image = DecodeImageReference(v.get_ref<const std::string&>(), true, limits, &code);
      if (!image.ok()) return BadRequest(image.status().message(), code, key);
      out->image = std::move(*image);
    } else if (key == "question") {
      if (!v.is_string()) return BadRequest("'question' must be a string, got " + JsonTypeName(v), "invalid_type", key);
      out->question = v.get<std::string>();
    } else if (key == "stream") {
      if (!v.is_boolean()) return BadRequest("'stream' must be a boolean, got " + JsonTypeName(v), "invalid_type", key);
      out->stream = v.get<bool>();
    } else if (key == "settings") {
      settings = &v;
    } else {
      return BadRequest("unknown field '" + key.substr(0, 64) + "' (image, question, stream, settings)",
                        "unknown_parameter", key.substr(0, 64));
    }
  }
  if (settings != nullptr && !settings->is_null())
    if (auto e = ApplySettings(*settings, base, out)) return e;
  return std::nullopt;
}

std::optional<ApiError> ParseAskForm(const httplib::MultipartFormDataMap& files,
                                     const ServerLimits& limits, const pipeline::PipelineConfig& base,
                                     AskRequest* out) {
  std::set<std::string> seen;
  for (const auto& [name, field] : files) {
    if (!seen.insert(name).second)
      return BadRequest("form field '" + name.substr(0, 64) + "' given twice", "invalid_value", name.substr(0, 64));
    if (name == "image") {
      StatusOr<RgbImage> image = DecodeImageBytes(field.content, limits);
      if (!image.ok())
        return BadRequest(image.status().message(),
                          image.status().code() == StatusCode::kOutOfRange ? "image_too_large" : "invalid_image", name);
      out->image = std::move(*image);
      std::string file = field.filename.substr(field.filename.find_last_of("/\\") + 1);
      if (!file.empty() && file.size() <= 128 && IsValidUtf8(file)) out->image_name = file;
    } else if (name == "question") {
      out->question = field.content;
    } else if (name == "stream") {
      if (field.content != "true" && field.content != "false")
        return BadRequest("form field 'stream' must be true or false", "invalid_value", name);
      out->stream = field.content == "true";
    } else if (name == "settings") {
      json settings;
      if (auto e = ParseJsonObject(field.content, limits, &settings)) {
        e->param = "settings";
        return e;
      }
      if (auto e = ApplySettings(settings, base, out)) return e;
    } else {
      return BadRequest("unknown form field '" + name.substr(0, 64) + "' (image, question, stream, settings)",
                        "unknown_parameter", name.substr(0, 64));
    }
  }
  return std::nullopt;
}

}  // namespace corgi::server
