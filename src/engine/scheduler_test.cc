// The engine's scheduler loop (engine.h "Scheduling"): requests that arrive while others
// decode join the running batch and still yield exactly the tokens they yield alone
// (batch invariance under greedy decoding); cancellation ends a request at the next step
// and frees its KV pages; Stats never waits behind a step; shutting down ends what runs.
// Every test runs once per registered model family (".../qwen2_5_vl").
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "corgi/engine.h"
#include "corgi/image/decode.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

// `family`'s tiny checkpoint, written and loaded once per process; null on failure.
const LoadedModel* TinyModel(const std::string& family) {
  static std::map<std::string, std::unique_ptr<LoadedModel>> models;
  std::unique_ptr<LoadedModel>& model = models[family];
  if (model == nullptr) {
    const std::string dir = (fs::temp_directory_path() /
                             ("corgi_scheduler_test_" + family + "_" + std::to_string(::getpid())))
                                .string();
    Status s = test_models::WriteTinyCheckpoint(dir, /*seed=*/3, DType::kBF16, family);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto m = LoadModel(dir);
    fs::remove_all(dir);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (m.ok()) model = std::move(*m);
  }
  return model.get();
}

const RgbImage& Image() {
  static RgbImage image = [] {
    auto img = DecodeImageFile(std::string(CORGI_SHARED_DATA) + "/images/llama_cpp_mtmd/test-1.jpeg");
    EXPECT_TRUE(img.ok());
    return std::move(*img);
  }();
  return image;
}

Request Ask(bool with_image, const std::string& text, int64_t max_tokens) {
  Request r;
  std::vector<ContentPart> parts;
  if (with_image) parts.push_back(ContentPart::Image(Image()));
  parts.push_back(ContentPart::Text(text));
  r.messages = {Message::User(std::move(parts))};
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  return r;
}

// GetParam(): the model family's model_type.
class SchedulerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_NE(model_ = TinyModel(GetParam()), nullptr); }

  std::unique_ptr<Engine> MakeEngine(EngineOptions o = {}) const {
    o.threads = 2;
    auto e = Engine::Create(model_, o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(*e);
  }

  std::vector<int32_t> AloneTokens(const Request& r) const {
    auto engine = MakeEngine(EngineOptions::Naive({}));
    auto c = engine->Generate(r);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->tokens : std::vector<int32_t>{};
  }

  const LoadedModel* model_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Families, SchedulerTest, ::testing::ValuesIn(test_models::FamilyTypes()),
                         test_models::FamilyName());

TEST_P(SchedulerTest, RequestsArrivingWhileOthersDecodeJoinTheBatchWithUnchangedTokens) {
  const std::vector<Request> requests = {Ask(true, "Describe the picture in detail.", 160),
                                         Ask(true, "What is written at the top?", 24),
                                         Ask(false, "Count to ten.", 24),
                                         Ask(true, "Which colours dominate?", 16)};
  std::vector<std::vector<int32_t>> alone;
  for (const Request& r : requests) alone.push_back(AloneTokens(r));

  auto engine = MakeEngine();
  // The first request runs; the others are submitted from other threads once it has
  // produced a few tokens, and the last one once the second is decoding too.
  std::atomic<int> first_tokens{0}, second_tokens{0};
  Request first = requests[0];
  first.on_token = [&](int32_t, const std::string&) { ++first_tokens; return true; };
  auto p0 = engine->Submit(first);
  while (first_tokens < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<std::shared_ptr<PendingCompletion>> later(3);
  std::thread t1([&] {
    Request second = requests[1];
    second.on_token = [&](int32_t, const std::string&) { ++second_tokens; return true; };
    later[0] = engine->Submit(second);
  });
  std::thread t2([&] { later[1] = engine->Submit(requests[2]); });
  t1.join();
  t2.join();
  while (second_tokens < 3 && !later[0]->done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  later[2] = engine->Submit(requests[3]);

  auto c0 = p0->Wait();
  ASSERT_TRUE(c0.ok()) << c0.status().ToString();
  EXPECT_EQ(c0->tokens, alone[0]);
  for (size_t i = 0; i < later.size(); ++i) {
    auto c = later[i]->Wait();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->tokens, alone[i + 1]) << "request " << i + 1;
  }
  const EngineStats stats = engine->Stats();
  EXPECT_GE(stats.max_decode_batch, 2) << "the late requests never decoded beside the first";
  EXPECT_EQ(stats.requests, 4);
  EXPECT_EQ(stats.queued, 0);
  EXPECT_EQ(stats.active, 0);
  // Three requests saw the same image: one vision pass for it, then cache hits.
  EXPECT_EQ(stats.images_encoded, 1);
  EXPECT_EQ(stats.vision_cache.hits, 2);
  // The loop's time by kind of work, and rows fed per step (drafts included).
  EXPECT_GT(stats.vision_ms, 0);
  EXPECT_GT(stats.prefill_ms, 0);
  EXPECT_GT(stats.decode_ms, 0);
  EXPECT_GE(stats.decode_fed_rows, stats.decode_rows);
  EXPECT_EQ(stats.decode_fed_rows - stats.decode_rows, stats.draft_tokens);
}

TEST_P(SchedulerTest, CancelEndsTheRequestAndFreesItsPagesAtOnce) {
  EngineOptions o;
  o.prefix_cache = false;  // then every page in use belongs to a live sequence
  auto engine = MakeEngine(o);
  std::atomic<int> tokens{0};
  Request r = Ask(true, "Tell a long story.", 400);
  r.on_token = [&](int32_t, const std::string&) { ++tokens; return true; };
  auto p = engine->Submit(r);
  while (tokens < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GT(engine->Stats().kv.pages_in_use, 0);
  p->Cancel();
  auto c = p->Wait();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCancelled);
  EXPECT_LT(tokens.load(), 400);
  const EngineStats stats = engine->Stats();
  EXPECT_EQ(stats.kv.pages_in_use, 0);
  EXPECT_EQ(stats.cancelled, 1);
  EXPECT_EQ(stats.active, 0);
  // The engine goes on serving.
  auto after = engine->Generate(Ask(false, "Hello", 4));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->tokens.size(), 4u);
}

TEST_P(SchedulerTest, ACancelTokenInTheRequestCancelsItWhileQueued) {
  EngineOptions o;
  o.max_batch = 1;  // the second request waits for the first's slot
  auto engine = MakeEngine(o);
  std::atomic<int> tokens{0};
  Request first = Ask(false, "Tell a story.", 64);
  first.on_token = [&](int32_t, const std::string&) { ++tokens; return true; };
  CancelToken token;
  Request second = Ask(false, "Another story.", 64);
  second.cancel = token;
  auto p1 = engine->Submit(first);
  auto p2 = engine->Submit(second);
  while (tokens < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  token.Cancel();
  auto c2 = p2->Wait();
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.status().code(), StatusCode::kCancelled);
  auto c1 = p1->Wait();
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->tokens.size(), 64u);
}

TEST_P(SchedulerTest, StatsNeverWaitsBehindAStep) {
  // Called from inside a step (the token callback runs on the loop thread): a Stats that
  // waited for the step to end would never return.
  auto engine = MakeEngine();
  int64_t seen_active = -1;
  Request r = Ask(false, "Hi", 3);
  r.on_token = [&](int32_t, const std::string&) {
    seen_active = engine->Stats().active;
    return true;
  };
  ASSERT_TRUE(engine->Generate(r).ok());
  EXPECT_GE(seen_active, 0);
}

TEST_P(SchedulerTest, DestroyingTheEngineEndsWhatIsStillRunning) {
  auto engine = MakeEngine();
  std::atomic<int> tokens{0};
  Request r = Ask(false, "Tell a long story.", 1000);
  r.on_token = [&](int32_t, const std::string&) { ++tokens; return true; };
  auto running = engine->Submit(r);
  while (tokens < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  engine.reset();
  auto c = running->Wait();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCancelled);
}

TEST_P(SchedulerTest, BadRequestsFailAloneInAGroup) {
  auto engine = MakeEngine();
  Request bad = Ask(false, "x", -1);
  Request good = Ask(false, "Hello", 3);
  auto results = engine->GenerateBatch({bad, good});
  EXPECT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->tokens.size(), 3u);
}

}  // namespace
}  // namespace corgi
