// RemoteVlm against a scripted OpenAI-compatible server (cpp-httplib on an ephemeral
// loopback port): request bodies per dialect, retries and their bound, Retry-After,
// non-retryable errors, cut-off replies and streams, cancellation, load balancing and
// ejection, model discovery, the API key header; plus the GBNF and JSON-variant helpers.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "corgi/pipeline/remote_vlm.h"
#include "pipeline/remote/constraint_grammar.h"
#include "pipeline/remote/openai_chat.h"

namespace corgi::pipeline {
namespace {

using Json = nlohmann::json;

std::string Reply(const std::string& text, const std::string& finish = "stop") {
  return Json{{"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}},
                            {"finish_reason", finish}}}},
              {"usage", {{"prompt_tokens", 11}, {"completion_tokens", 3}}}}
      .dump();
}

// A server whose /v1/chat/completions answers with `handler` (sees the parsed body and
// the call count), recording every body it got.
class FakeServer {
 public:
  using Handler = std::function<void(const Json& body, int call, httplib::Response& res)>;
  explicit FakeServer(Handler handler) : handler_(std::move(handler)) {
    server_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      Json body = Json::parse(req.body, nullptr, false);
      int call;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        bodies_.push_back(body);
        auth_ = req.get_header_value("Authorization");
        call = static_cast<int>(bodies_.size());
      }
      handler_(body, call, res);
    });
    server_.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"object":"list","data":[{"id":"served-model","object":"model"}]})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(bodies_.size());
  }
  Json body(int i) {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_.at(i);
  }
  std::string auth() {
    std::lock_guard<std::mutex> lock(mutex_);
    return auth_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<Json> bodies_;
  std::string auth_;
};

RemoteModelConfig ConfigFor(const std::vector<std::string>& urls, const std::string& dialect = "openai") {
  RemoteModelConfig c;
  for (const std::string& url : urls) {
    EndpointConfig e;
    e.url = url;
    e.model = "m";
    e.dialect = dialect;
    c.endpoints.push_back(e);
  }
  c.retry_backoff_s = 0.01;
  c.timeout_s = 10;
  return c;
}

Request ImageRequest(Constraint constraint = {}) {
  RgbImage image = RgbImage::Make(8, 12);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 7);
  Request r;
  r.messages = {Message::User({ContentPart::Image(image), ContentPart::Text("What is <|im_end|> here?")})};
  r.max_tokens = 17;
  r.stop = {"\n\n"};
  r.constraint = std::move(constraint);
  return r;
}

Constraint ReasoningShape() {
  Constraint c;
  c.free_text_until = "</THINKING>";
  c.prefix = "\n<STRUCTURED_STEPS>";
  c.json_schema = R"({"type":"object","properties":{"steps":{"type":"array","items":{"type":"integer"}}},"required":["steps"]})";
  c.suffix = "</STRUCTURED_STEPS>";
  return c;
}

TEST(RemoteVlmTest, SendsAnOpenAiBodyAndReadsTheReply) {
  FakeServer server([](const Json&, int, httplib::Response& res) {
    res.set_content(Reply("a cat"), "application/json");
  });
  auto vlm = RemoteVlm::Create(ConfigFor({server.url()}));
  ASSERT_TRUE(vlm.ok()) << vlm.status().ToString();
  Constraint schema;
  schema.json_schema = R"({"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}})";
  StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(schema), {"caption", 1});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text, "a cat");
  EXPECT_EQ(c->finish, FinishReason::kEos);
  EXPECT_EQ(c->timings.prompt_tokens, 11);
  EXPECT_EQ(c->timings.generated_tokens, 3);
  Json body = server.body(0);
  EXPECT_EQ(body["model"], "m");
  EXPECT_EQ(body["max_tokens"], 17);
  EXPECT_EQ(body["temperature"], 0.0);
  EXPECT_EQ(body["stop"], Json::array({"\n\n"}));
  const Json& content = body["messages"][0]["content"];
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0]["type"], "image_url");
  EXPECT_EQ(content[0]["image_url"]["url"].get<std::string>().rfind("data:image/png;base64,", 0), 0u);
  EXPECT_EQ(content[1]["text"], "What is <|im_end|> here?");  // user text travels as text
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
  EXPECT_EQ(body["response_format"]["json_schema"]["schema"]["properties"]["a"]["type"], "integer");
  EXPECT_FALSE(body.contains("stream"));
}

TEST(RemoteVlmTest, ReasoningConstraintPerDialect) {
  FakeServer server([](const Json&, int, httplib::Response& res) {
    res.set_content(Reply(R"({"thinking":"look","steps":[1,2]})"), "application/json");
  });
  struct Case {
    std::string dialect, format, field;
  };
  for (const Case& k : {Case{"corgi", "", "corgi_constraint"}, Case{"llama-server", "", "grammar"},
                        Case{"sglang", "", "ebnf"}, Case{"vllm", "", "structured_outputs"},
                        Case{"openai", "", "response_format"}, Case{"vllm", "json", "response_format"}}) {
    RemoteModelConfig config = ConfigFor({server.url()}, k.dialect);
    config.reasoning_format = k.format;
    auto vlm = RemoteVlm::Create(config);
    ASSERT_TRUE(vlm.ok());
    int before = server.calls();
    StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(ReasoningShape()), {"reasoning", 0});
    ASSERT_TRUE(c.ok()) << k.dialect << ": " << c.status().ToString();
    Json body = server.body(before);
    EXPECT_TRUE(body.contains(k.field)) << k.dialect << " " << k.format << ": " << body.dump().substr(0, 300);
    if (k.field == "response_format") {
      // The JSON-only variant: asked in words too, and the reply turned back into tags.
      EXPECT_NE(body["messages"][0]["content"].back()["text"].get<std::string>().find("JSON object"),
                std::string::npos);
      EXPECT_EQ(c->text, "look</THINKING>\n<STRUCTURED_STEPS>{\"steps\":[1,2]}</STRUCTURED_STEPS>");
    } else {
      EXPECT_EQ(c->text, R"({"thinking":"look","steps":[1,2]})");  // unchanged
    }
    if (k.field == "corgi_constraint") {
      EXPECT_EQ(body["corgi_constraint"]["json_schema"], ReasoningShape().json_schema);  // text, order kept
      EXPECT_EQ(body["corgi_constraint"]["free_text_until"], "</THINKING>");
    }
  }
}

TEST(RemoteVlmTest, RetriesServerErrorsWithinTheBudget) {
  FakeServer server([](const Json&, int call, httplib::Response& res) {
    if (call <= 2) {
      res.status = call == 1 ? 503 : 429;
      if (call == 2) res.set_header("Retry-After", "0");
      res.set_content(R"({"error":{"message":"busy"}})", "application/json");
      return;
    }
    res.set_content(Reply("third time"), "application/json");
  });
  auto vlm = RemoteVlm::Create(ConfigFor({server.url()}));
  ASSERT_TRUE(vlm.ok());
  StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(), {"caption", 1});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text, "third time");
  EXPECT_EQ(server.calls(), 3);
  EXPECT_EQ((*vlm)->retries(), 2);
}

TEST(RemoteVlmTest, GivesUpAfterMaxRetries) {
  FakeServer server([](const Json&, int, httplib::Response& res) {
    res.status = 500;
    res.set_content("oops", "text/plain");
  });
  RemoteModelConfig config = ConfigFor({server.url()});
  config.max_retries = 2;
  auto vlm = RemoteVlm::Create(config);
  ASSERT_TRUE(vlm.ok());
  StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(), {"caption", 1});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("500"), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().message().find("after 2 retries"), std::string::npos);
  EXPECT_EQ(server.calls(), 3);  // the first try and 2 retries, no more
}

TEST(RemoteVlmTest, ClientErrorsAreNotRetried) {
  FakeServer server([](const Json&, int, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":{"message":"prompt too long","type":"invalid_request_error"}})", "application/json");
  });
  auto vlm = RemoteVlm::Create(ConfigFor({server.url()}));
  ASSERT_TRUE(vlm.ok());
  StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(), {"caption", 1});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("prompt too long"), std::string::npos);
  EXPECT_EQ(server.calls(), 1);
}

TEST(RemoteVlmTest, CutOffRepliesAreRetried) {
  FakeServer server([](const Json&, int call, httplib::Response& res) {
    if (call == 1) {
      res.set_content(Reply("whole").substr(0, 20), "application/json");  // truncated JSON
      return;
    }
    res.set_content(Reply("whole"), "application/json");
  });
  auto vlm = RemoteVlm::Create(ConfigFor({server.url()}));
  ASSERT_TRUE(vlm.ok());
  StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(), {"caption", 1});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text, "whole");
  EXPECT_EQ(server.calls(), 2);
}

TEST(RemoteVlmTest, ConnectionRefusedIsBoundedToo) {
  // A port nothing listens on: bind one, then close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  RemoteModelConfig config = ConfigFor({"http://127.0.0.1:" + std::to_string(port) + "/v1"});
  config.max_retries = 1;
  auto vlm = RemoteVlm::Create(config);
  ASSERT_TRUE(vlm.ok());
  StatusOr<Completion> c = (*vlm)->Generate(ImageRequest(), {"caption", 1});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIoError) << c.status().ToString();
  EXPECT_EQ((*vlm)->Stats()[0].requests, 2);
}

TEST(RemoteVlmTest, StreamsDeltasAndNoticesACutOffStream) {
  FakeServer server([](const Json&, int call, httplib::Response& res) {
    std::string events;
    for (const char* piece : {"Hel", "lo"}) {
      events += "data: " + Json{{"choices", {{{"index", 0}, {"delta", {{"content", piece}}}, {"finish_reason", nullptr}}}}}.dump() + "\n\n";
    }
    if (call > 1) {  // the first stream stops short of its end
      events += "data: " + Json{{"choices", {{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "length"}}}}}.dump() + "\n\n";
      events += "data: " + Json{{"choices", Json::array()}, {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 2}}}}.dump() + "\n\n";
      events += "data: [DONE]\n\n";
    }
    res.set_content(events, "text/event-stream");
  });
  auto vlm = RemoteVlm::Create(ConfigFor({server.url()}));
  ASSERT_TRUE(vlm.ok());
  Request r = ImageRequest();
  std::string streamed;
  r.on_token = [&streamed](int32_t, const std::string& piece) {
    streamed += piece;
    return true;
  };
  StatusOr<Completion> c = (*vlm)->Generate(r, {"reasoning", 0});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->text, "Hello");
  EXPECT_EQ(c->finish, FinishReason::kLength);
  EXPECT_EQ(c->timings.generated_tokens, 2);
  EXPECT_EQ(server.calls(), 2);  // the cut-off stream was retried
  EXPECT_EQ(streamed, "HelloHello");  // a retried stream repeats its deltas (documented)
  EXPECT_EQ(server.body(0)["stream"], true);
}

TEST(RemoteVlmTest, CancellationEndsAWaitingCall) {
  FakeServer server([](const Json&, int, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    res.set_content(Reply("late"), "application/json");
  });
  auto vlm = RemoteVlm::Create(ConfigFor({server.url()}));
  ASSERT_TRUE(vlm.ok());
  Request r = ImageRequest();
  CancelToken token;
  r.cancel = token;
  std::thread canceller([token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    token.Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  StatusOr<Completion> c = (*vlm)->Generate(r, {"caption", 1});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  canceller.join();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCancelled) << c.status().ToString();
  EXPECT_LT(seconds, 2.0);
}

TEST(RemoteVlmTest, BalancesAcrossEndpointsAndRestsAFailingOne) {
  FakeServer good([](const Json&, int, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    res.set_content(Reply("ok"), "application/json");
  });
  FakeServer bad([](const Json&, int, httplib::Response& res) { res.status = 502; });
  RemoteModelConfig config = ConfigFor({good.url(), bad.url()});
  config.max_retries = 5;
  config.eject_s = 60;
  auto vlm = RemoteVlm::Create(config);
  ASSERT_TRUE(vlm.ok());
  std::vector<Request> requests(8, ImageRequest());
  std::vector<CallInfo> calls(8, CallInfo{"caption", 1});
  for (StatusOr<Completion>& c : (*vlm)->GenerateBatch(requests, calls)) {
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->text, "ok");
  }
  std::vector<RemoteEndpointStats> stats = (*vlm)->Stats();
  EXPECT_EQ(stats[1].ejections, 1);   // three 502s in a row: out of rotation
  EXPECT_LE(bad.calls(), 3 + 4);      // at most the in-flight ones before it rested
  EXPECT_EQ(good.calls(), 8);
}

TEST(RemoteVlmTest, DiscoversTheModelAndSendsTheKey) {
  FakeServer server([](const Json&, int, httplib::Response& res) { res.set_content(Reply("x"), "application/json"); });
  RemoteModelConfig config = ConfigFor({server.url()});
  config.endpoints[0].model = "";
  config.endpoints[0].api_key_env = "CORGI_TEST_REMOTE_KEY";
  ::unsetenv("CORGI_TEST_REMOTE_KEY");
  auto missing = RemoteVlm::Create(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("CORGI_TEST_REMOTE_KEY"), std::string::npos);
  ::setenv("CORGI_TEST_REMOTE_KEY", "sk-test", 1);
  auto vlm = RemoteVlm::Create(config);
  ASSERT_TRUE(vlm.ok());
  ASSERT_TRUE((*vlm)->Generate(ImageRequest(), {"caption", 1}).ok());
  EXPECT_EQ(server.body(0)["model"], "served-model");
  EXPECT_EQ(server.auth(), "Bearer sk-test");
  ::unsetenv("CORGI_TEST_REMOTE_KEY");
}

TEST(RemoteVlmTest, PixelGroundingUsesTheConfiguredPreprocessing) {
  RemoteModelConfig config = ConfigFor({"http://127.0.0.1:9/v1"});
  config.grounding_space = "resized_input_pixels";
  config.patch_size = 14;
  config.merge_size = 2;
  auto vlm = RemoteVlm::Create(config);
  ASSERT_TRUE(vlm.ok());
  EXPECT_EQ((*vlm)->grounding_space(), GroundingSpace::kResizedInputPixels);
  auto hw = (*vlm)->ModelInputSize(480, 640);
  ASSERT_TRUE(hw.ok());
  EXPECT_EQ(hw->first % 28, 0);
  EXPECT_EQ(hw->second % 28, 0);
}

TEST(ConstraintGrammarTest, FreeTextAutomatonAndSchema) {
  StatusOr<std::string> g = remote::ConstraintToGbnf(ReasoningShape());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // One rule per prefix of "</THINKING>", the literals, and the array of integers.
  EXPECT_EQ(g->rfind("root ::= free0 \"\\n<STRUCTURED_STEPS>\" ", 0), 0u) << *g;
  for (int i = 0; i < 11; ++i) EXPECT_NE(g->find("free" + std::to_string(i) + " ::= "), std::string::npos) << i;
  EXPECT_EQ(g->find("free11 ::="), std::string::npos);
  EXPECT_NE(g->find("\"</STRUCTURED_STEPS>\""), std::string::npos);
  EXPECT_NE(g->find("integer ::="), std::string::npos);
  EXPECT_NE(g->find("\"\\\"steps\\\"\""), std::string::npos);  // the property name literal
  Constraint empty;
  EXPECT_FALSE(remote::ConstraintToGbnf(empty).ok());
  Constraint bad;
  bad.json_schema = "{not json";
  EXPECT_FALSE(remote::ConstraintToGbnf(bad).ok());
}

// The body of rule `name` in grammar `g` ("" when absent).
std::string RuleBody(const std::string& g, const std::string& name) {
  const std::string head = name + " ::= ";
  size_t at = g.rfind(head, 0) == 0 ? 0 : g.find("\n" + head);
  if (at == std::string::npos) return "";
  at += (at == 0 ? 0 : 1) + head.size();
  return g.substr(at, g.find('\n', at) - at);
}

// Found against llama-server: the grammar asked for the properties in alphabetical order
// (bbox, index, ..., statement), so a reply in the prompt's order was rejected by the server's
// grammar and the model was forced to write the box before the statement.
TEST(ConstraintGrammarTest, PropertiesKeepTheSchemaOrder) {
  Constraint c;
  c.json_schema = R"({"type":"object","properties":{"statement":{"type":"string"},"reason":{"type":"string"},)"
                  R"("bbox":{"type":"null"}},"required":["statement","reason","bbox"]})";
  StatusOr<std::string> g = remote::ConstraintToGbnf(c);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // root -> the object rule "{" ws FIRST ws "}" -> FIRST starts with "statement", then reason, then bbox.
  std::string root = RuleBody(*g, "root");  // "ws objN"
  std::string body = RuleBody(*g, root.substr(root.rfind(' ') + 1));
  ASSERT_EQ(body.rfind("\"{\" ws ", 0), 0u) << *g;
  std::string rule = body.substr(7, body.find(' ', 7) - 7);
  std::vector<std::string> order;
  for (int hops = 0; hops < 3 && !rule.empty(); ++hops) {
    std::string member = RuleBody(*g, rule);
    if (member.rfind("ws \",\" ws ", 0) == 0) member = member.substr(10);
    order.push_back(member.substr(0, member.find(' ')));
    size_t last = member.rfind(' ');
    rule = member.substr(last + 1).rfind("obj", 0) == 0 ? member.substr(last + 1) : "";
  }
  EXPECT_EQ(order, (std::vector<std::string>{"\"\\\"statement\\\"\"", "\"\\\"reason\\\"\"",
                                             "\"\\\"bbox\\\"\""}))
      << *g;
}

// Found against llama-server: the local engine's reasoning outputs ("<STRUCTURED_STEPS>\n\n{",
// "}\n</STRUCTURED_STEPS>", two-byte whitespace) were rejected by the GBNF, which allowed one
// whitespace byte and none around the root value.
TEST(ConstraintGrammarTest, WhitespaceAsTheLocalEngineAllowsIt) {
  StatusOr<std::string> g = remote::ConstraintToGbnf(ReasoningShape());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::string root = RuleBody(*g, "root");
  EXPECT_EQ(root.rfind("free0 \"\\n<STRUCTURED_STEPS>\" ws obj", 0), 0u) << root;
  EXPECT_NE(root.find(" ws \"</STRUCTURED_STEPS>\""), std::string::npos) << root;
  EXPECT_EQ(RuleBody(*g, "ws"), "( [ \\t\\n] [ \\t\\n]? )?");
  auto count = [&g](const std::string& what) {
    size_t n = 0;
    for (size_t at = g->find(what); at != std::string::npos; at = g->find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_GT(count("\",\" ws"), 0u);
  EXPECT_EQ(count("ws \",\" ws"), count("\",\" ws")) << *g;  // whitespace may precede commas too
  Constraint no_suffix;  // grounding/synthesis: whitespace may lead, nothing may follow
  no_suffix.json_schema = R"({"type":"array","items":{"type":"integer"}})";
  g = remote::ConstraintToGbnf(no_suffix);
  ASSERT_TRUE(g.ok());
  root = RuleBody(*g, "root");
  EXPECT_EQ(root.rfind("ws arr", 0), 0u) << root;
  EXPECT_EQ(root.find("ws", 2), std::string::npos) << root;
}

TEST(JsonReasoningTest, SchemaAndRoundTrip) {
  Constraint c = ReasoningShape();
  Json schema = Json::parse(remote::JsonReasoningSchema(c));
  EXPECT_EQ(schema["properties"].begin().key() == "steps" || schema["properties"].contains("thinking"), true);
  EXPECT_EQ(schema["required"], Json::array({"thinking", "steps"}));
  EXPECT_EQ(remote::JsonReasoningToTagged(R"({"thinking":"t","steps":[3]})", c),
            "t</THINKING>\n<STRUCTURED_STEPS>{\"steps\":[3]}</STRUCTURED_STEPS>");
  EXPECT_EQ(remote::JsonReasoningToTagged("not json", c), "not json");
}

}  // namespace
}  // namespace corgi::pipeline
