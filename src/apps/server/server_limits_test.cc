// The malformed-request corpus: every kind of bad input gets a 4xx JSON error (or, for
// broken HTTP, a closed connection) — never a crash or a hang — and the server still
// answers a valid request afterwards.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "apps/server/server_test_util.h"

namespace corgi::server::testing {
namespace {

using nlohmann::json;

std::string Http(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& content_type = "application/json", const std::string& extra = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " +
         content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string Chat(const json& patch) {
  json body = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 4}};
  body.merge_patch(patch);
  return body.dump();
}

std::string ImageMessage(const std::string& url) {
  return Chat({{"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", {{"url", url}}}}, {{"type", "text"}, {"text", "?"}}}}}}}});
}

// A PNG header claiming 100000 x 100000 pixels (a decompression bomb) — no pixel data.
std::string BombPng() {
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\0\0\0\x0dIHDR", 8);
  png += std::string("\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00", 13);
  png += std::string("\0\0\0\0", 4);  // CRC (wrong; the size check comes first)
  return png;
}

std::string B64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(a[(v >> s) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    out += i + 1 < bytes.size() ? std::string(1, a[(v >> 6) & 63]) + "=" : "==";
  }
  return out;
}

std::string Multipart(const std::vector<std::tuple<std::string, std::string, std::string>>& parts) {
  std::string body;
  for (const auto& [name, filename, content] : parts) {
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"";
    if (!filename.empty()) body += "; filename=\"" + filename + "\"";
    body += "\r\n\r\n" + content + "\r\n";
  }
  return body + "--XyZ--\r\n";
}

struct Case {
  std::string name;
  std::string request;     // raw bytes
  int expect = 400;        // 0: any 4xx, or the connection closed without an answer
  size_t piece = 0;
  int pause_ms = 0;
  bool close_write = false;
};

TEST(ServerMalformedTest, CorpusThenAValidRequest) {
  ServerOptions o = TestOptions();
  o.limits.max_image_bytes = 64 << 10;
  o.limits.max_body_bytes = 1 << 20;
  o.read_timeout_s = 1;
  auto server = StartServer(o);
  const int port = server->port();
  const std::string chat = "/v1/chat/completions", ask = "/v1/corgi/ask";
  const std::string png = PngBytes(TestImage(16, 16));
  const std::string url = "data:image/png;base64," + B64(png);
  std::string deep_arrays(100000, '['), deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  auto ask_body = [&](const json& patch) {
    json b = {{"image", url}, {"question", "what?"}};
    b.merge_patch(patch);
    return b.dump();
  };
  std::vector<Case> cases = {
      {"empty body", Http("POST", chat, "")},
      {"not json", Http("POST", chat, "hello")},
      {"truncated json", Http("POST", chat, "{\"messages\": [")},
      {"array top level", Http("POST", chat, "[1,2]")},
      {"string top level", Http("POST", chat, "\"x\"")},
      {"100k nested arrays", Http("POST", chat, deep_arrays)},
      {"100k nested objects", Http("POST", ask, deep_objects)},
      {"invalid utf-8", Http("POST", chat, "{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}")},
      {"lone surrogate", Http("POST", chat, "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}")},
      {"messages not array", Http("POST", chat, Chat({{"messages", "hi"}}))},
      {"messages empty", Http("POST", chat, Chat({{"messages", json::array()}}))},
      {"message not object", Http("POST", chat, Chat({{"messages", {1}}}))},
      {"role missing", Http("POST", chat, Chat({{"messages", {{{"content", "x"}}}}}))},
      {"role unknown", Http("POST", chat, Chat({{"messages", {{{"role", "wizard"}, {"content", "x"}}}}}))},
      {"content number", Http("POST", chat, Chat({{"messages", {{{"role", "user"}, {"content", 5}}}}}))},
      {"part type unknown", Http("POST", chat, Chat({{"messages", {{{"role", "user"}, {"content", {{{"type", "audio"}}}}}}}}))},
      {"http image url", Http("POST", chat, ImageMessage("https://example.com/cat.png"))},
      {"bad base64", Http("POST", chat, ImageMessage("data:image/png;base64,!!!notbase64"))},
      {"data url not base64", Http("POST", chat, ImageMessage("data:image/png,abcd"))},
      {"data url not image", Http("POST", chat, ImageMessage("data:text/plain;base64,aGVsbG8="))},
      {"data url no comma", Http("POST", chat, ImageMessage("data:image/png;base64"))},
      {"garbage image bytes", Http("POST", chat, ImageMessage("data:image/png;base64," + B64("not an image at all")))},
      {"decompression bomb", Http("POST", chat, ImageMessage("data:image/png;base64," + B64(BombPng())))},
      {"oversized image", Http("POST", chat, ImageMessage("data:image/png;base64," + B64(std::string(100 << 10, 'x'))))},
      {"too many images", Http("POST", chat, Chat({{"messages", {{{"role", "user"}, {"content", json::array({
           {{"type", "image_url"}, {"image_url", {{"url", url}}}}, {{"type", "image_url"}, {"image_url", {{"url", url}}}},
           {{"type", "image_url"}, {"image_url", {{"url", url}}}}, {{"type", "image_url"}, {"image_url", {{"url", url}}}},
           {{"type", "image_url"}, {"image_url", {{"url", url}}}}})}}}}}))},
      {"image in system message", Http("POST", chat, Chat({{"messages", {{{"role", "system"}, {"content", {{{"type", "image_url"}, {"image_url", {{"url", url}}}}}}}}}}))},
      {"max_tokens string", Http("POST", chat, Chat({{"max_tokens", "4"}}))},
      {"max_tokens zero", Http("POST", chat, Chat({{"max_tokens", 0}}))},
      {"max_tokens huge", Http("POST", chat, Chat({{"max_tokens", 1000000000}}))},
      {"temperature string", Http("POST", chat, Chat({{"temperature", "hot"}}))},
      {"temperature too high", Http("POST", chat, Chat({{"temperature", 5}}))},
      {"top_p zero", Http("POST", chat, Chat({{"top_p", 0}}))},
      {"top_k negative", Http("POST", chat, Chat({{"top_k", -1}}))},
      {"seed float", Http("POST", chat, Chat({{"seed", 1.5}}))},
      {"five stop strings", Http("POST", chat, Chat({{"stop", {"a", "b", "c", "d", "e"}}}))},
      {"stop number", Http("POST", chat, Chat({{"stop", 7}}))},
      {"unknown field", Http("POST", chat, Chat({{"frobnicate", true}}))},
      {"n = 2", Http("POST", chat, Chat({{"n", 2}}))},
      {"response_format bad type", Http("POST", chat, Chat({{"response_format", {{"type", "xml"}}}}))},
      {"json_schema without schema", Http("POST", chat, Chat({{"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "x"}}}}}}))},
      {"stream not boolean", Http("POST", chat, Chat({{"stream", "yes"}}))},
      {"prompt beyond context", Http("POST", chat, Chat({{"messages", {{{"role", "user"}, {"content", std::string(200000, 'a')}}}}}))},
      {"ask without image", Http("POST", ask, json{{"question", "q"}}.dump())},
      {"ask without question", Http("POST", ask, json{{"image", url}}.dump())},
      {"ask question too long", Http("POST", ask, ask_body({{"question", std::string(5000, 'q')}}))},
      {"ask question not string", Http("POST", ask, ask_body({{"question", 42}}))},
      {"ask unknown settings key", Http("POST", ask, ask_body({{"settings", {{"max_stepz", 2}}}}))},
      {"ask engine setting", Http("POST", ask, ask_body({{"settings", {{"engine", {{"threads", 1}}}}}}))},
      {"ask settings wrong type", Http("POST", ask, ask_body({{"settings", {{"max_steps", "2"}}}}))},
      {"ask settings not object", Http("POST", ask, ask_body({{"settings", {1, 2}}}))},
      {"ask unknown field", Http("POST", ask, ask_body({{"colour", "red"}}))},
      {"ask bad base64", Http("POST", ask, ask_body({{"image", "@@@@"}}))},
      {"ask http image", Http("POST", ask, ask_body({{"image", "http://example.com/x.png"}}))},
      {"multipart unknown field", Http("POST", ask, Multipart({{"image", "x.png", png}, {"question", "", "q"}, {"bogus", "", "1"}}), "multipart/form-data; boundary=XyZ")},
      {"multipart garbage image", Http("POST", ask, Multipart({{"image", "x.png", "garbage"}, {"question", "", "q"}}), "multipart/form-data; boundary=XyZ")},
      {"multipart bad settings json", Http("POST", ask, Multipart({{"image", "x.png", png}, {"question", "", "q"}, {"settings", "", "{"}}), "multipart/form-data; boundary=XyZ")},
      {"body over the limit", "POST " + chat + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{", 413},
      {"huge header", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n", 0},
      {"huge uri", "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 0},
      {"garbage request line", std::string("\x00\x01\x02 nonsense\r\n\r\n", 17), 0},
      {"unknown method", "FOO /health HTTP/1.1\r\nHost: x\r\n\r\n", 0},
      {"bad content-length", "POST " + chat + " HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}", 0},
      {"bad chunked body", "POST " + chat + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", 0, 0, 0, true},
      {"truncated body", "POST " + chat + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"messages\":", 0, 0, 0, true},
      {"slow loris headers", "POST " + chat + " HTTP/1.1\r\nHost: x\r\nX-A: b\r\n", 0, 8, 300},
      {"slow loris body", "POST " + chat + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mess", 0, 0, 0},
      {"GET on a POST endpoint", "GET " + chat + " HTTP/1.1\r\nHost: x\r\n\r\n", 404},
      {"run path traversal", "GET /v1/corgi/runs/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404},
  };
  ASSERT_GE(cases.size(), 40u);
  // Each case on its own connection, several at once: the connection-level ones wait for
  // the server's read timeout (1 s) or the client's (3 s), which would add up one by one.
  std::vector<std::string> answers(cases.size());
  {
    std::atomic<size_t> next{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
      clients.emplace_back([&] {
        for (size_t i = next++; i < cases.size(); i = next++) {
          const Case& c = cases[i];
          answers[i] = RawExchange(port, c.request, c.piece, c.pause_ms, 3000, c.close_write);
        }
      });
    }
    for (std::thread& t : clients) t.join();
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::string& answer = answers[i];
    int status = RawStatus(answer);
    if (c.expect == 0) {
      EXPECT_TRUE(status == 0 || (status >= 400 && status < 500)) << c.name << ": " << answer.substr(0, 300);
    } else {
      EXPECT_EQ(status, c.expect) << c.name << ": " << answer.substr(0, 300);
    }
    if (status >= 400 && c.expect != 0) {
      size_t body_at = answer.find("\r\n\r\n");
      json body = json::parse(answer.substr(body_at + 4), nullptr, false);
      ASSERT_FALSE(body.is_discarded()) << c.name << ": " << answer.substr(0, 300);
      EXPECT_TRUE(body["error"]["message"].is_string()) << c.name;
      EXPECT_TRUE(body["error"]["type"].is_string()) << c.name;
      EXPECT_TRUE(body["error"]["code"].is_string()) << c.name;
    }
  }
  // Still serving. (A small CoRGI query: small budgets keep it quick under sanitizers.)
  const std::string kSmallQuery =
      "{\"max_steps\":1,\"budgets\":{\"reasoning\":200,\"grounding\":32,\"synthesis\":64}}";
  std::string ok = RawExchange(port, Http("POST", chat, Chat({{"temperature", 0}})));
  EXPECT_EQ(RawStatus(ok), 200) << ok.substr(0, 400);
  ok = RawExchange(port, Http("POST", ask, Multipart({{"image", "x.png", png}, {"question", "", "What?"}, {"settings", "", kSmallQuery}}), "multipart/form-data; boundary=XyZ"));
  EXPECT_EQ(RawStatus(ok), 200) << ok.substr(0, 400);
}

}  // namespace
}  // namespace corgi::server::testing
