// The body of POST /v1/corgi/ask, either form the server accepts. Input starting with '{'
// is a JSON body (ParseJsonObject then ParseAskJson); anything else is read as the fields
// of a multipart form that cpp-httplib has already split — fields separated by 0x1E, each
// "name 0x1F content" — through ParseAskForm. Then the question check, as the handler does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apps/server/ask_request.h"
#include "corgi/core/check.h"
#include "fuzz_server_limits.h"

namespace {

httplib::MultipartFormDataMap FormFields(std::string_view text) {
  httplib::MultipartFormDataMap files;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\x1e', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view field = text.substr(start, end - start);
    size_t sep = field.find('\x1f');
    httplib::MultipartFormData f;
    f.name = std::string(field.substr(0, sep));
    if (sep != std::string_view::npos) f.content = std::string(field.substr(sep + 1));
    f.filename = f.name == "image" ? "upload.png" : "";
    files.emplace(f.name, std::move(f));
    start = end + 1;
  }
  return files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const corgi::server::ServerLimits limits = corgi::fuzz::FuzzServerLimits();
  const corgi::pipeline::PipelineConfig base;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  corgi::server::AskRequest ask;
  if (!body.empty() && body[0] == '{') {
    nlohmann::json json;
    if (corgi::server::ParseJsonObject(body, limits, &json)) return 0;
    if (corgi::server::ParseAskJson(json, limits, base, &ask)) return 0;
  } else {
    if (corgi::server::ParseAskForm(FormFields(body), limits, base, &ask)) return 0;
  }
  if (corgi::server::CheckAskQuestion(ask.question, limits)) return 0;
  CORGI_CHECK(!ask.question.empty() &&
              static_cast<int64_t>(ask.question.size()) <= limits.max_question_bytes);
  if (ask.image) CORGI_CHECK(ask.image->height * ask.image->width <= limits.max_image_pixels);
  if (ask.config) CORGI_CHECK(corgi::pipeline::ValidateConfig(*ask.config).ok());
  return 0;
}
