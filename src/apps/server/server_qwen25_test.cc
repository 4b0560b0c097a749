// corgi serve on a tiny Qwen2.5-VL checkpoint (the other server tests use the default
// family): /v1/models names it, chat completions see images at Qwen2.5-VL's resolution
// (factor 28), and /v1/corgi/ask runs the pipeline with boxes in its pixel space.
#include <httplib.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "apps/server/server_test_util.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi::server::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ServerQwen25Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = (fs::temp_directory_path() / ("corgi_server_qwen25_" + std::to_string(::getpid())))
                .string();
    fs::remove_all(root_);
    const std::string dir = root_ + "/qwen2.5-vl-tiny";
    Status s = test_models::WriteTinyCheckpoint(dir, /*seed=*/5, DType::kF32, "qwen2_5_vl");
    ASSERT_TRUE(s.ok()) << s.ToString();
    ServerOptions o = TestOptions();
    o.service.model_dir = dir;
    o.service.config.max_steps = 1;
    server_ = StartServer(o).release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) server_->Shutdown(1);
    delete server_;
    server_ = nullptr;
    fs::remove_all(root_);
  }
  static httplib::Result Post(const std::string& path, const json& body) {
    httplib::Client cli("127.0.0.1", server_->port());
    cli.set_read_timeout(120, 0);
    return cli.Post(path.c_str(), body.dump(), "application/json");
  }

  static std::string root_;
  static Server* server_;
};
std::string ServerQwen25Test::root_;
Server* ServerQwen25Test::server_ = nullptr;

json Chat(const json& content) {
  return {{"model", "qwen2.5-vl-tiny"},
          {"messages", {{{"role", "user"}, {"content", content}}}},
          {"max_tokens", 4},
          {"temperature", 0}};
}

TEST_F(ServerQwen25Test, ModelsChatAndAsk) {
  ASSERT_NE(server_, nullptr);
  httplib::Client cli("127.0.0.1", server_->port());
  auto models = cli.Get("/v1/models");
  ASSERT_TRUE(models);
  ASSERT_EQ(models->status, 200) << models->body;
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "qwen2.5-vl-tiny");

  auto text = Post("/v1/chat/completions", Chat("Describe it."));
  ASSERT_TRUE(text);
  ASSERT_EQ(text->status, 200) << text->body;
  json t = json::parse(text->body);
  EXPECT_EQ(t["model"], "qwen2.5-vl-tiny");
  EXPECT_TRUE(t["choices"][0]["message"]["content"].is_string());
  EXPECT_GT(t["usage"]["completion_tokens"].get<int>(), 0);
  // The same prompt with a 64 x 48 image first: smart_resize with factor 28 and at least
  // 3136 pixels gives 56 x 56, 2 x 2 merged patches: 4 image tokens between
  // <|vision_start|> and <|vision_end|>. (Qwen3-VL, factor 32 and 65536 pixels: 64.)
  json parts = {{{"type", "image_url"}, {"image_url", {{"url", PngDataUrl(TestImage(48, 64))}}}},
                {{"type", "text"}, {"text", "Describe it."}}};
  auto image = Post("/v1/chat/completions", Chat(parts));
  ASSERT_TRUE(image);
  ASSERT_EQ(image->status, 200) << image->body;
  json i = json::parse(image->body);
  EXPECT_EQ(i["usage"]["prompt_tokens"].get<int>() - t["usage"]["prompt_tokens"].get<int>(), 4 + 2);

  // A CoRGI query: the result and its trace, in Qwen2.5-VL's grounding space.
  auto ask = Post("/v1/corgi/ask",
                  {{"image", PngDataUrl(TestImage(48, 64))}, {"question", "What is it?"}});
  ASSERT_TRUE(ask);
  ASSERT_EQ(ask->status, 200) << ask->body;
  json result = json::parse(ask->body);
  EXPECT_EQ(result["question"], "What is it?");
  EXPECT_EQ(result["image_width"], 64);
  EXPECT_TRUE(result["error"].is_null() || result["error"].is_string());
  for (const json& step : result["steps"]) {
    for (const json& box : step["boxes"]) {
      for (const json& v : box) EXPECT_TRUE(v >= 0.0 && v <= 1.0) << box;
    }
  }
  const std::string id = result["id"];
  auto trace = cli.Get(("/v1/corgi/runs/" + id + "/trace.json").c_str());
  ASSERT_TRUE(trace);
  ASSERT_EQ(trace->status, 200);
  json tr = json::parse(trace->body);
  EXPECT_EQ(tr["grounding_space"], "resized_input_pixels");
  ASSERT_FALSE(tr["calls"].empty());
  const std::string prompt = tr["calls"][0]["prompt"];
  EXPECT_NE(prompt.find("pixel coordinates of the 56x56 image"), std::string::npos) << prompt;
}

}  // namespace
}  // namespace corgi::server::testing
