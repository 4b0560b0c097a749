// corgi's pipeline on a remote engine — corgi serve on loopback, the first remote engine
// it talks to: with the corgi dialect (the Constraint itself) every phase's output equals
// a local run's on the same checkpoint under greedy decoding; the JSON-only and free
// reasoning formats still produce a complete result; a model per phase routes calls.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "apps/server/server_test_util.h"
#include "corgi/pipeline/results_json.h"
#include "corgi/service/query_service.h"

namespace corgi::server {
namespace {

using namespace testing;  // NOLINT: the server test helpers

class ServerRemoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = StartServer(TestOptions()).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::string Url() { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1"; }

  static pipeline::PipelineConfig RemoteConfig(const std::string& dialect, const std::string& format = "") {
    pipeline::PipelineConfig c = FastConfig();
    pipeline::EndpointConfig e;
    e.url = Url();
    e.dialect = dialect;
    c.models.default_model.remote.endpoints = {e};
    c.models.default_model.remote.reasoning_format = format;
    return c;
  }

  static service::QueryOutcome Run(const service::ServiceOptions& options, const RgbImage& image) {
    auto s = service::QueryService::Create(options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return {};
    service::QueryInput input;
    input.image_path = "test.png";
    input.image = image;
    input.question = "What colour is the box?";
    return (*s)->Run(input);
  }

  static Server* server_;
};
Server* ServerRemoteTest::server_ = nullptr;

TEST_F(ServerRemoteTest, CorgiDialectEqualsTheLocalRun) {
  RgbImage image = TestImage(96, 128);
  service::ServiceOptions local{.model_dir = TinyModelDir(), .replay_path = "", .config = FastConfig()};
  service::ServiceOptions remote{.model_dir = "", .replay_path = "", .config = RemoteConfig("corgi")};
  service::QueryOutcome a = Run(local, image);
  service::QueryOutcome b = Run(remote, image);
  ASSERT_FALSE(a.error()) << *a.error();
  ASSERT_FALSE(b.error()) << *b.error();
  ASSERT_EQ(a.trace.calls.size(), b.trace.calls.size());
  for (size_t i = 0; i < a.trace.calls.size(); ++i) {
    EXPECT_EQ(a.trace.calls[i].phase, b.trace.calls[i].phase);
    EXPECT_EQ(a.trace.calls[i].prompt, b.trace.calls[i].prompt) << i;
    EXPECT_EQ(a.trace.calls[i].raw_output, b.trace.calls[i].raw_output) << a.trace.calls[i].phase;
  }
  EXPECT_EQ(a.result.chain_of_thought, b.result.chain_of_thought);
  EXPECT_EQ(a.result.steps.size(), b.result.steps.size());
  EXPECT_EQ(a.result.answer, b.result.answer);
  EXPECT_EQ(a.result.explanation, b.result.explanation);
  EXPECT_EQ(b.result.model.rfind("remote:", 0), 0u);
}

TEST_F(ServerRemoteTest, JsonAndFreeReasoningFormatsComplete) {
  RgbImage image = TestImage(64, 64);
  for (const char* format : {"json", "free"}) {
    service::QueryOutcome o = Run({.model_dir = "", .replay_path = "", .config = RemoteConfig("openai", format)}, image);
    // Random weights write nonsense, so the query may end in a parse error — but it ends,
    // with a result, never a transport failure.
    EXPECT_FALSE(o.failure) << format << ": " << *o.failure;
    EXPECT_GE(o.trace.calls.size(), 1u) << format;
  }
}

TEST_F(ServerRemoteTest, ModelPerPhase) {
  pipeline::PipelineConfig c = RemoteConfig("corgi");
  c.models.caption.checkpoint = TinyModelDir();  // captions locally, the rest remotely
  service::QueryOutcome o = Run({.model_dir = "", .replay_path = "", .config = c}, TestImage(64, 96));
  ASSERT_FALSE(o.failure) << *o.failure;
  EXPECT_NE(o.result.model.find("caption="), std::string::npos) << o.result.model;
}

TEST_F(ServerRemoteTest, CorgiConstraintExtension) {
  httplib::Client cli("127.0.0.1", server_->port());
  cli.set_read_timeout(300, 0);  // sanitizer builds decode slowly
  auto post = [&cli](const nlohmann::json& constraint) {
    nlohmann::json body = {{"model", "tiny"},
                           {"messages", {{{"role", "user"}, {"content", "Say something."}}}},
                           {"max_tokens", 48},
                           {"corgi_constraint", constraint}};
    return cli.Post("/v1/chat/completions", body.dump(), "application/json");
  };
  // The schema as text keeps its property order; the output follows prefix, schema, suffix.
  auto ok = post({{"free_text_until", "</T>"}, {"prefix", "<S>"},
                  {"json_schema", R"({"type":"object","properties":{"z":{"type":"boolean"},"a":{"type":"boolean"}},"required":["z","a"]})"},
                  {"suffix", "</S>"}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  std::string text = nlohmann::json::parse(ok->body)["choices"][0]["message"]["content"];
  size_t close = text.find("</T><S>");
  ASSERT_NE(close, std::string::npos) << text;
  std::string json_part = text.substr(close + 7, text.size() - close - 7 - 4);
  EXPECT_EQ(text.substr(text.size() - 4), "</S>");
  EXPECT_LT(json_part.find("\"z\""), json_part.find("\"a\"")) << json_part;
  for (const nlohmann::json& bad : {nlohmann::json{{"json_schema", {{"type", "object"}}}},
                                    nlohmann::json{{"json_schema", "{not json"}},
                                    nlohmann::json{{"grammar", "root ::= x"}},
                                    nlohmann::json{{"prefix", 5}}, nlohmann::json("text")}) {
    auto r = post(bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad.dump() << " -> " << r->body;
  }
}

}  // namespace
}  // namespace corgi::server
