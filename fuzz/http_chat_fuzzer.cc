// The body of POST /v1/chat/completions, as the server reads it on its HTTP threads:
// ParseJsonObject (size, nesting, UTF-8, syntax) then ParseChatRequest. A request that
// passes must be within the limits the engine relies on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apps/server/chat_request.h"
#include "corgi/core/check.h"
#include "fuzz_server_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const corgi::server::ServerLimits limits = corgi::fuzz::FuzzServerLimits();
  constexpr int64_t kMaxContext = 8192;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  nlohmann::json json;
  if (corgi::server::ParseJsonObject(body, limits, &json)) return 0;
  corgi::server::ChatRequest chat;
  if (corgi::server::ParseChatRequest(json, limits, kMaxContext, &chat)) return 0;
  const corgi::Request& r = chat.engine;
  CORGI_CHECK(!r.messages.empty());
  CORGI_CHECK(static_cast<int64_t>(r.messages.size()) <= limits.max_messages);
  CORGI_CHECK(r.max_tokens >= 1 && r.max_tokens <= std::min(limits.max_tokens, kMaxContext));
  CORGI_CHECK(static_cast<int64_t>(r.stop.size()) <= limits.max_stop);
  int64_t images = 0;
  for (const corgi::Message& m : r.messages) {
    CORGI_CHECK(m.role == "system" || m.role == "user" || m.role == "assistant") << m.role;
    for (const corgi::ContentPart& part : m.content) {
      if (part.kind != corgi::ContentPart::Kind::kImage) continue;
      ++images;
      CORGI_CHECK(part.image && part.image->height * part.image->width <= limits.max_image_pixels);
    }
  }
  CORGI_CHECK(images <= limits.max_images);
  return 0;
}
