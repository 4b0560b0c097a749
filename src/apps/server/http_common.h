// What every endpoint of `corgi serve` shares: OpenAI-shaped errors, the request limits,
// and the checks that run on HTTP threads before anything is queued — JSON bodies (nesting
// depth scanned before parsing, UTF-8), base64 and data URLs, uploaded images (bytes,
// decompression bombs). None of these touch the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "corgi/core/status.h"
#include "corgi/image/image.h"

namespace corgi::server {

// Request limits (docs/SERVER.md "Limits"). Exceeding one is a 4xx with an error body.
struct ServerLimits {
  int64_t max_body_bytes = int64_t{32} << 20;   // any request body (413)
  int64_t max_image_bytes = int64_t{20} << 20;  // one encoded image after base64
  int64_t max_image_pixels = 40'000'000;        // width x height, checked from the header
  int64_t max_images = 4;                       // images in one chat request
  int64_t max_messages = 64;                    // chat messages
  int64_t max_text_bytes = 256 << 10;           // all text of one chat request
  int64_t max_tokens = 4096;                    // max_tokens / max_completion_tokens
  int64_t default_max_tokens = 1024;            // when the request names none
  int64_t max_question_bytes = 4096;            // /v1/corgi/ask question
  int64_t max_json_depth = 64;                  // nesting of any JSON body
  int64_t max_stop = 4;                         // stop strings
  int64_t max_stop_bytes = 256;                 // each
};

// An error answered as {"error": {"message", "type", "code"}} with an HTTP status.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string code = "invalid_request";
  std::string param;  // the offending field, when there is one (OpenAI's "param")

  std::string Body() const;
};

ApiError BadRequest(std::string message, std::string code = "invalid_request",
                    std::string param = "");
// A Status from the engine or the pipeline as the error a client sees (400 for its own
// mistakes, 504 for a deadline, 503 for shutdown, 500 otherwise).
ApiError FromStatus(const Status& status);

// Parses a JSON request body: size, nesting depth (scanned before parsing, so 100k '['
// never reach the recursive parser), UTF-8, syntax; the top level must be an object.
std::optional<ApiError> ParseJsonObject(std::string_view body, const ServerLimits& limits,
                                        nlohmann::json* out);

// Standard base64 (padding optional, ASCII whitespace ignored); nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);

// An image given as a data URL ("data:image/png;base64,...") or, when `allow_bare_base64`,
// as plain base64 — decoded to RGB within the limits. http(s) URLs are refused (corgi does
// not fetch). `param` names the field in messages.
StatusOr<RgbImage> DecodeImageReference(std::string_view ref, bool allow_bare_base64,
                                        const ServerLimits& limits, std::string* param_error_code);
// Encoded image bytes (JPEG/PNG/WebP) to RGB within the limits.
StatusOr<RgbImage> DecodeImageBytes(std::string_view bytes, const ServerLimits& limits);

// The JSON type of `v` as OpenAI names it in errors ("string", "integer", "object", ...).
std::string JsonTypeName(const nlohmann::json& v);

// Random 128-bit id as 32 lowercase hex digits (std::random_device).
std::string RandomHexId();

}  // namespace corgi::server
