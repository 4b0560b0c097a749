#include "corgi/engine.h"

#include <unistd.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "corgi/engine/prompt.h"
#include "corgi/image/resize.h"
#include "corgi/model/preprocess_params.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

// Runs once per registered model family (GetParam() is its model_type); each family's
// tiny checkpoint is written once per process.
class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::unique_ptr<LoadedModel>& model = models_[GetParam()];
    if (model == nullptr) {
      const std::string dir = (fs::temp_directory_path() / ("corgi_engine_test_" + GetParam() +
                                                            "_tiny_" + std::to_string(::getpid())))
                                  .string();
      fs::remove_all(dir);
      Status s = test_models::WriteTinyCheckpoint(dir, /*seed=*/11, DType::kF32, GetParam());
      ASSERT_TRUE(s.ok()) << s.ToString();
      auto m = LoadModel(dir);
      fs::remove_all(dir);
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      model = std::move(*m);
    }
    model_ = model.get();
  }
  static void TearDownTestSuite() { models_.clear(); }

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

  static std::map<std::string, std::unique_ptr<LoadedModel>> models_;
  const LoadedModel* model_ = nullptr;
};
std::map<std::string, std::unique_ptr<LoadedModel>> EngineTest::models_;

INSTANTIATE_TEST_SUITE_P(Families, EngineTest, ::testing::ValuesIn(test_models::FamilyTypes()),
                         test_models::FamilyName());

TEST_P(EngineTest, GreedyTextIsDeterministicAndRespectsMaxTokens) {
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

TEST_P(EngineTest, ImagePromptAndChunkedPrefillAgree) {
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

TEST_P(EngineTest, StreamsTokensAndStopsOnCallback) {
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

TEST_P(EngineTest, PromptLongerThanContextIsAnError) {
  auto engine = MakeEngine(32);
  Request r;
  r.messages = {Message::User({ContentPart::Text(std::string(400, 'a') + " b c d e f g h i j k l m n o p")})};
  StatusOr<Completion> c = engine->Generate(r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kOutOfRange);
}

// User text is data: a typed "<|image_pad|>" is plain text, so it neither claims image rows
// nor breaks the image's token count; the request runs as the same prompt without it would.
TEST_P(EngineTest, TypedImagePlaceholderIsPlainText) {
  auto engine = MakeEngine();
  Request r;
  r.messages = {Message::User({ContentPart::Image(Gradient(64, 64)), ContentPart::Text("<|image_pad|> trick")})};
  r.max_tokens = 3;
  r.ignore_eos = true;
  StatusOr<Completion> c = engine->Generate(r);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tokens.size(), 3u);
}

TEST(PreprocessParamsFor, RejectsSettingsTheImageLayerCannotHonor) {
  PreprocessorConfig c;
  ASSERT_TRUE(PreprocessParamsFor(c, VisionPreprocessParams::Qwen3Vl()).ok());
  c.do_normalize = false;
  EXPECT_EQ(PreprocessParamsFor(c, VisionPreprocessParams::Qwen3Vl()).status().code(), StatusCode::kUnimplemented);
}

// Merged image tokens smart_resize gives an image under `params` (the engine's).
int64_t ImageTokens(int64_t height, int64_t width, const VisionPreprocessParams& params) {
  const ResizeTarget t =
      *SmartResize(height, width, params.factor(), params.min_pixels, params.max_pixels);
  return (t.height / params.factor()) * (t.width / params.factor());
}

TEST_P(EngineTest, PixelCapShrinksTheImage) {
  Request r;
  r.messages = {Message::User({ContentPart::Image(Gradient(512, 640)), ContentPart::Text("Describe.")})};
  r.max_tokens = 1;
  auto full = MakeEngine();
  StatusOr<Completion> a = full->Generate(r);
  ASSERT_TRUE(a.ok());
  EngineOptions o;
  o.threads = 2;
  o.max_context = 2048;
  // Qwen3-VL (factor 32, 65536..16777216): 512x640 is 16x20 = 320 merged tokens; with max
  // 65536, beta = sqrt(512*640/65536) = 2.236 gives 224x256, 7x8 = 56 tokens. Qwen2.5-VL
  // (factor 28, 3136..12845056): 18x23 = 414, capped 224x280, 8x10 = 80.
  o.max_pixels = 65536;
  auto capped = std::move(Engine::Create(model_, o)).value();
  EXPECT_LE(capped->preprocess_params().max_pixels, 65536);
  EXPECT_EQ(capped->preprocess_params().factor(), full->preprocess_params().factor());
  const int64_t full_tokens = ImageTokens(512, 640, full->preprocess_params());
  const int64_t capped_tokens = ImageTokens(512, 640, capped->preprocess_params());
  EXPECT_LT(capped_tokens * 4, full_tokens);
  StatusOr<Completion> b = capped->Generate(r);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->timings.prompt_tokens - b->timings.prompt_tokens, full_tokens - capped_tokens);
  o.min_pixels = 1 << 20;  // above the cap
  EXPECT_EQ(Engine::Create(model_, o).status().code(), StatusCode::kInvalidArgument);
  // Issue 11: a cap below the checkpoint's min_pixels, as image.max_pixels: 1024 allows,
  // lowers that bound too instead of failing at run time.
  ASSERT_GT(full->preprocess_params().min_pixels, 1024);
  o.min_pixels = 0;
  o.max_pixels = 1024;
  StatusOr<std::unique_ptr<Engine>> tiny = Engine::Create(model_, o);
  ASSERT_TRUE(tiny.ok()) << tiny.status().ToString();
  EXPECT_EQ((*tiny)->preprocess_params().max_pixels, 1024);
  EXPECT_EQ((*tiny)->preprocess_params().min_pixels, 1024);
}

TEST_P(EngineTest, ConstrainedOutputAlwaysParsesAcrossSeeds) {
  auto engine = MakeEngine();
  Request r;
  r.messages = {Message::User({ContentPart::Image(Gradient(96, 128)), ContentPart::Text("Find the dog.")})};
  r.max_tokens = 40;
  r.sampling.temperature = 1.0;
  r.constraint.json_schema =
      R"({"type":"array","maxItems":2,"items":{"type":"object","properties":{)"
      R"("bbox_2d":{"type":"array","items":{"type":"integer","minimum":0,"maximum":1000},"minItems":4,"maxItems":4},)"
      R"("label":{"type":"string","maxLength":12}},"required":["bbox_2d","label"]}})";
  for (uint64_t seed = 0; seed < 5; ++seed) {
    r.sampling.seed = seed;
    StatusOr<Completion> c = engine->Generate(r);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->finish, FinishReason::kStop) << c->text;
    // The grammar allows a little insignificant whitespace; the value itself is an array.
    const size_t first = c->text.find_first_not_of(" \t\n\r"), last = c->text.find_last_not_of(" \t\n\r");
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(c->text[first], '[') << c->text;
    EXPECT_EQ(c->text[last], ']') << c->text;
    nlohmann::json j = nlohmann::json::parse(c->text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << c->text;
    EXPECT_LE(j.size(), 2u);
    for (const auto& item : j) {
      ASSERT_EQ(item.at("bbox_2d").size(), 4u) << c->text;
      for (const auto& v : item.at("bbox_2d")) EXPECT_TRUE(v.is_number_integer() && v >= 0 && v <= 1000) << c->text;
    }
  }
  r.max_tokens = 0;  // cannot hold even "[]"
  EXPECT_EQ(engine->Generate(r).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi
