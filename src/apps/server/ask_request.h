// The body of POST /v1/corgi/ask — JSON or a multipart form — turned into a validated
// query on the HTTP thread, without touching the model (also what fuzz/http_ask_fuzzer
// feeds). The image is decoded within the limits; "settings" are applied over `base`.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/server/http_common.h"
#include "corgi/image/image.h"
#include "corgi/pipeline/config.h"

namespace corgi::server {

struct AskRequest {
  std::optional<RgbImage> image;
  std::string image_name = "upload";
  std::string question;
  bool stream = false;
  std::optional<pipeline::PipelineConfig> config;
};

// The fields of a parsed JSON object: image (data URL or bare base64), question, stream,
// settings. An unknown field or a wrong type is the 400 a client sees.
std::optional<ApiError> ParseAskJson(const nlohmann::json& body, const ServerLimits& limits,
                                     const pipeline::PipelineConfig& base, AskRequest* out);
// The fields of a multipart form (as cpp-httplib parsed it): image (file bytes), question,
// stream ("true" | "false"), settings (JSON text). A field given twice is an error.
std::optional<ApiError> ParseAskForm(const httplib::MultipartFormDataMap& files,
                                     const ServerLimits& limits,
                                     const pipeline::PipelineConfig& base, AskRequest* out);
// The question once the body is read: non-empty, within limits.max_question_bytes, UTF-8.
std::optional<ApiError> CheckAskQuestion(const std::string& question, const ServerLimits& limits);

}  // namespace corgi::server
