// LocalVlm on a tiny synthetic Qwen3-VL checkpoint (random weights: the text is
// meaningless, so this checks plumbing and structure, never wording).
#include "corgi/pipeline/local_vlm.h"

#include <unistd.h>
#include <filesystem>

#include <gtest/gtest.h>

#include "corgi/pipeline/pipeline.h"
#include "model/synthetic_checkpoint_test_util.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

namespace fs = std::filesystem;

class LocalVlmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("corgi_local_vlm_test_tiny_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    Status s = test_models::WriteTinyCheckpoint(dir_, /*seed=*/5, DType::kF32);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto m = LoadModel(dir_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(*m).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    fs::remove_all(dir_);
  }

  static std::string dir_;
  static LoadedModel* model_;
};
std::string LocalVlmTest::dir_;
LoadedModel* LocalVlmTest::model_ = nullptr;

TEST_F(LocalVlmTest, GroundingSpaceAndModelInputSize) {
  auto engine = Engine::Create(model_, EngineOptions{2, 2048, 64});
  ASSERT_TRUE(engine.ok());
  LocalVlm vlm(engine->get(), LocalVlmOptions{"tiny"});
  EXPECT_EQ(vlm.name(), "tiny");
  EXPECT_EQ(vlm.grounding_space(), GroundingSpace::kRelative1000);
  ASSERT_EQ(model_->preprocessor().patch_size * model_->preprocessor().merge_size, 32);
  // smart_resize, factor 32, 65536..16777216 (spec §3.2): 600x800 -> 608x800
  // (600/32 = 18.75 rounds to 19), and 100x100 grows to 256x256.
  auto hw = vlm.ModelInputSize(600, 800);
  ASSERT_TRUE(hw.ok()) << hw.status().ToString();
  EXPECT_EQ(*hw, std::make_pair(int64_t{608}, int64_t{800}));
  EXPECT_EQ(*vlm.ModelInputSize(100, 100), std::make_pair(int64_t{256}, int64_t{256}));
  EXPECT_FALSE(vlm.ModelInputSize(0, 100).ok());
}

// The whole pipeline on the local engine: every call runs, within its token budget,
// and a failure to parse random text is reported in the result, not as a crash.
TEST_F(LocalVlmTest, PipelineRunsEndToEnd) {
  auto engine = Engine::Create(model_, EngineOptions{2, 2048, 64});
  ASSERT_TRUE(engine.ok());
  LocalVlm vlm(engine->get(), LocalVlmOptions{});
  PipelineConfig config;
  // Enough for the shortest completions the grammars allow (one step: ~150 tokens).
  config.budgets.reasoning = 256;
  config.budgets.grounding = 64;
  config.budgets.caption = 8;
  config.budgets.synthesis = 128;
  config.max_steps = 2;
  testing::FakeOcr ocr;
  Pipeline pipeline(&vlm, &ocr, config);
  RgbImage img = RgbImage::Make(64, 96);
  Trace trace;
  std::vector<Event> events;
  EventSink sink = [&events](const Event& e) { events.push_back(e); };
  StatusOr<Result> r = pipeline.Run(Query{"gray.png", img, "What is shown?"}, &sink, &trace);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(trace.calls.empty());
  EXPECT_EQ(trace.calls[0].phase, "reasoning");
  for (const TraceCall& c : trace.calls) {
    EXPECT_GT(c.generated_tokens, 0) << c.phase;
    EXPECT_GT(c.prompt_tokens, 0) << c.phase;
  }
  EXPECT_LE(trace.calls[0].generated_tokens, 256);
  EXPECT_EQ(r->model, dir_);
  EXPECT_EQ(r->counts.model_calls, static_cast<int64_t>(trace.calls.size()));
  EXPECT_EQ(events.back().type, "pipeline_end");
  if (r->error) {
    EXPECT_FALSE(r->error->empty());
  } else {
    EXPECT_GT(r->counts.steps, 0);
  }
}

}  // namespace
}  // namespace corgi::pipeline
