// The body of POST /v1/chat/completions turned into a validated engine Request, on the
// HTTP thread and without touching the model (also what fuzz/http_chat_fuzzer feeds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/server/http_common.h"
#include "corgi/engine.h"

namespace corgi::server {

struct ChatRequest {
  Request engine;
  std::string model;
  bool stream = false;
  bool include_usage = false;
};

// Reads every field of `body` (a parsed JSON object) into `out`: messages with text and
// data-URL image parts (decoded within `limits`), sampling, stop strings, max tokens up to
// min(limits.max_tokens, max_context), stream options, response_format. An unknown field
// or a value of the wrong type or range is the 400 a client sees.
std::optional<ApiError> ParseChatRequest(const nlohmann::json& body, const ServerLimits& limits,
                                         int64_t max_context, ChatRequest* out);

}  // namespace corgi::server
