#include "apps/server/http_common.h"

#include <algorithm>
#include <random>

#include "corgi/core/json_scan.h"
#include "corgi/image/decode.h"
#include "corgi/tokenizer/utf8.h"

namespace corgi::server {

std::string ApiError::Body() const {
  nlohmann::json e = {{"message", message}, {"type", type}, {"code", code}};
  e["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
  return nlohmann::json{{"error", e}}.dump();
}

ApiError BadRequest(std::string message, std::string code, std::string param) {
  ApiError e;
  e.message = std::move(message);
  e.code = std::move(code);
  e.param = std::move(param);
  return e;
}

ApiError FromStatus(const Status& status) {
  ApiError e;
  e.message = status.message();
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      e.code = "invalid_value";
      break;
    case StatusCode::kOutOfRange:
      e.code = "context_length_exceeded";
      break;
    case StatusCode::kCancelled:
      e.status = 503;
      e.type = "server_error";
      e.code = "cancelled";
      break;
    case StatusCode::kDeadlineExceeded:
      e.status = 504;
      e.type = "server_error";
      e.code = "timeout";
      break;
    default:
      e.status = 500;
      e.type = "server_error";
      e.code = "internal_error";
      break;
  }
  return e;
}

std::optional<ApiError> ParseJsonObject(std::string_view body, const ServerLimits& limits,
                                        nlohmann::json* out) {
  if (static_cast<int64_t>(body.size()) > limits.max_body_bytes) {
    ApiError e = BadRequest("request body exceeds " + std::to_string(limits.max_body_bytes) +
                                " bytes",
                            "body_too_large");
    e.status = 413;
    return e;
  }
  const int max_depth = static_cast<int>(std::clamp<int64_t>(limits.max_json_depth, 0, 1 << 30));
  if (!CheckJsonDepth(body, "request body", max_depth).ok())
    return BadRequest("JSON nested deeper than " + std::to_string(limits.max_json_depth) +
                          " levels",
                      "json_too_deep");
  if (!IsValidUtf8(body)) return BadRequest("request body is not valid UTF-8", "invalid_utf8");
  *out = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    // Say where, cheaply: parse again with exceptions for the message.
    std::string why = "malformed JSON";
    try {
      nlohmann::json again = nlohmann::json::parse(body);
      (void)again;
    } catch (const nlohmann::json::exception& ex) {
      why += ": ";
      why += ex.what();
    }
    return BadRequest(why, "invalid_json");
  }
  if (!out->is_object())
    return BadRequest("expected a JSON object, got " + JsonTypeName(*out), "invalid_type");
  return std::nullopt;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0, digits = 0, padding = 0;
  for (unsigned char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (digits % 4 == 1) return std::nullopt;  // a lone 6 bits encode no byte
  if (padding > 2 || (padding > 0 && (digits + padding) % 4 != 0)) return std::nullopt;
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return out;
}

StatusOr<RgbImage> DecodeImageBytes(std::string_view bytes, const ServerLimits& limits) {
  if (static_cast<int64_t>(bytes.size()) > limits.max_image_bytes)
    return OutOfRangeError("image of " + std::to_string(bytes.size()) + " bytes exceeds the " +
                           std::to_string(limits.max_image_bytes) + "-byte limit");
  DecodeOptions options;
  options.max_pixels = limits.max_image_pixels;
  StatusOr<RgbImage> image = DecodeImage(bytes, options);
  if (!image.ok()) {
    if (image.status().code() == StatusCode::kOutOfRange)
      return OutOfRangeError("image too large: " + image.status().message());
    return InvalidArgumentError("cannot decode image: " + image.status().message());
  }
  return image;
}

StatusOr<RgbImage> DecodeImageReference(std::string_view ref, bool allow_bare_base64,
                                        const ServerLimits& limits, std::string* code) {
  *code = "invalid_image";
  if (ref.rfind("http://", 0) == 0 || ref.rfind("https://", 0) == 0) {
    *code = "image_url_not_supported";
    return InvalidArgumentError(
        "image URLs over http(s) are not fetched by this server; send the image inline as a "
        "data: URL (data:image/png;base64,...)");
  }
  std::string_view payload;
  if (ref.rfind("data:", 0) == 0) {
    size_t comma = ref.find(',');
    if (comma == std::string_view::npos)
      return InvalidArgumentError("malformed data URL: no ',' before the data");
    std::string_view meta = ref.substr(5, comma - 5);
    if (meta.size() < 7 || meta.substr(meta.size() - 7) != ";base64")
      return InvalidArgumentError("data URL must be base64 (data:image/...;base64,...)");
    std::string_view mime = meta.substr(0, meta.size() - 7);
    if (!mime.empty() && mime.rfind("image/", 0) != 0)
      return InvalidArgumentError("data URL media type must be image/*, got '" +
                                  std::string(mime.substr(0, 64)) + "'");
    payload = ref.substr(comma + 1);
  } else if (allow_bare_base64) {
    payload = ref;
  } else {
    return InvalidArgumentError("image_url.url must be a data: URL (data:image/png;base64,...)");
  }
  if (static_cast<int64_t>(payload.size()) / 4 * 3 > limits.max_image_bytes + 3) {
    *code = "image_too_large";
    return OutOfRangeError("image exceeds the " + std::to_string(limits.max_image_bytes) +
                           "-byte limit");
  }
  std::optional<std::string> bytes = Base64Decode(payload);
  if (!bytes) return InvalidArgumentError("image is not valid base64");
  StatusOr<RgbImage> image = DecodeImageBytes(*bytes, limits);
  if (!image.ok() && image.status().code() == StatusCode::kOutOfRange) *code = "image_too_large";
  return image;
}

std::string JsonTypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    default:
      return "unknown";
  }
}

std::string RandomHexId() {
  static thread_local std::random_device device;
  static const char* kHex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = device();
    for (int j = 0; j < 8; ++j) id.push_back(kHex[(v >> (j * 4)) & 0xF]);
  }
  return id;
}

}  // namespace corgi::server
