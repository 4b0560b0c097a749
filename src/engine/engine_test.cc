#include "corgi/engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/synthetic.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / "corgi_engine_test_tiny").string();
    fs::remove_all(dir_);
    qwen3vl::SyntheticOptions o;
    o.seed = 11;
    o.dtype = DType::kF32;
    o.tokenizer_source = std::string(CORGI_SHARED_DATA) + "/tokenizer";
    ASSERT_TRUE(qwen3vl::WriteSyntheticCheckpoint(*qwen3vl::PresetConfig("tiny"), o, dir_, nullptr).ok());
    auto m = qwen3vl::Model::Load(dir_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(*m).release();
  }
  static void TearDownTestSuite() { delete model_; }

  std::unique_ptr<Engine> MakeEngine(int64_t context = 2048) {
    EngineOptions o;
    o.threads = 2;
    o.max_context = context;
    o.prefill_chunk = 64;
    return std::move(Engine::Create(model_, o)).value();
  }

  static RgbImage Gradient(int64_t h, int64_t w) {
    RgbImage img = RgbImage::Make(h, w);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        uint8_t* p = img.At(y, x);
        p[0] = static_cast<uint8_t>(x * 255 / w);
        p[1] = static_cast<uint8_t>(y * 255 / h);
        p[2] = static_cast<uint8_t>((x + y) % 256);
      }
    return img;
  }

  static std::string dir_;
  static qwen3vl::Model* model_;
};
std::string EngineTest::dir_;
qwen3vl::Model* EngineTest::model_ = nullptr;

TEST_F(EngineTest, GreedyTextIsDeterministicAndRespectsMaxTokens) {
  auto engine = MakeEngine();
  Request r;
  r.messages = {Message::User({ContentPart::Text("Hello there, what is in the picture?")})};
  r.max_tokens = 12;
  r.ignore_eos = true;
  StatusOr<Completion> a = engine->Generate(r);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->tokens.size(), 12u);
  EXPECT_EQ(a->finish, FinishReason::kLength);
  StatusOr<Completion> b = engine->Generate(r);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  for (int32_t t : a->tokens) EXPECT_LT(t, model_->sampleable_vocab());
}

TEST_F(EngineTest, ImagePromptAndChunkedPrefillAgree) {
  Request r;
  r.messages = {Message::User({ContentPart::Image(Gradient(300, 420)), ContentPart::Text("Describe.")})};
  r.max_tokens = 6;
  r.ignore_eos = true;
  auto whole = MakeEngine();
  StatusOr<Completion> a = whole->Generate(r);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_GT(a->timings.prompt_tokens, 64);  // several prefill chunks of 64
  EngineOptions o;
  o.threads = 1;
  o.max_context = 2048;
  o.prefill_chunk = 1000;
  auto single = std::move(Engine::Create(model_, o)).value();
  StatusOr<Completion> b = single->Generate(r);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
}

TEST_F(EngineTest, StreamsTokensAndStopsOnCallback) {
  auto engine = MakeEngine();
  Request r;
  r.messages = {Message::User({ContentPart::Text("Count.")})};
  r.max_tokens = 20;
  r.ignore_eos = true;
  int seen = 0;
  r.on_token = [&](int32_t, const std::string&) { return ++seen < 5; };
  StatusOr<Completion> c = engine->Generate(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(c->tokens.size(), 5u);
  EXPECT_EQ(c->finish, FinishReason::kStop);
}

TEST_F(EngineTest, PromptLongerThanContextIsAnError) {
  auto engine = MakeEngine(32);
  Request r;
  r.messages = {Message::User({ContentPart::Text(std::string(400, 'a') + " b c d e f g h i j k l m n o p")})};
  StatusOr<Completion> c = engine->Generate(r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kOutOfRange);
}

TEST_F(EngineTest, TypedImagePlaceholderIsRejectedBeforePrefill) {
  auto engine = MakeEngine();
  Request r;
  r.messages = {Message::User({ContentPart::Image(Gradient(64, 64)), ContentPart::Text("<|image_pad|> trick")})};
  StatusOr<Completion> c = engine->Generate(r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi
