// LocalVlm on each registered family's tiny synthetic checkpoint (random weights: the
// text is meaningless, so this checks plumbing and structure, never wording).
#include "corgi/pipeline/local_vlm.h"

#include <unistd.h>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corgi/pipeline/pipeline.h"
#include "model/synthetic_checkpoint_test_util.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

namespace fs = std::filesystem;

// GetParam(): the model family's model_type. Each family's checkpoint is written once.
class LocalVlmTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("corgi_local_vlm_test_" + GetParam() + "_" + std::to_string(::getpid())))
               .string();
    std::unique_ptr<LoadedModel>& model = models_[GetParam()];
    if (model == nullptr) {
      fs::remove_all(dir_);
      Status s = test_models::WriteTinyCheckpoint(dir_, /*seed=*/5, DType::kF32, GetParam());
      ASSERT_TRUE(s.ok()) << s.ToString();
      auto m = LoadModel(dir_);
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      model = std::move(*m);
    }
    model_ = model.get();
  }
  static void TearDownTestSuite() {
    for (const auto& [family, model] : models_) fs::remove_all(model->directory());
    models_.clear();
  }

  static std::map<std::string, std::unique_ptr<LoadedModel>> models_;
  std::string dir_;
  const LoadedModel* model_ = nullptr;
};
std::map<std::string, std::unique_ptr<LoadedModel>> LocalVlmTest::models_;

INSTANTIATE_TEST_SUITE_P(Families, LocalVlmTest, ::testing::ValuesIn(test_models::FamilyTypes()),
                         test_models::FamilyName());

// What each family's LocalVlm reports: its grounding space and smart_resize with its
// factor (patch x merge) and the checkpoint's pixel bounds (spec §3.2).
struct InputSizeCase {
  int64_t height, width, want_height, want_width;
};
struct FamilyGrounding {
  GroundingSpace space;
  int64_t factor, min_pixels, max_pixels;  // the tiny checkpoint's (the family's defaults)
  std::vector<InputSizeCase> sizes;
  // Under bounds of 20000..200000 written into the checkpoint's preprocessor_config.json.
  std::vector<InputSizeCase> custom_sizes;
};

const std::map<std::string, FamilyGrounding>& Expected() {
  static const std::map<std::string, FamilyGrounding> expected = {
      // 600/32 = 18.75 rounds to 19; 100x100 and 20x30 grow to 65536 pixels.
      {"qwen3_vl",
       {GroundingSpace::kRelative1000,
        32,
        65536,
        16777216,
        {{600, 800, 608, 800}, {100, 100, 256, 256}, {20, 30, 224, 320}},
        {{600, 800, 384, 512}, {50, 50, 160, 160}}}},
      // 600/28 = 21.4 -> 21, 800/28 = 28.6 -> 29; 20x30 grows past 3136 (ceil, 2x3 merged
      // patches); 5000x3000 shrinks below 12845056 (floor).
      {"qwen2_5_vl",
       {GroundingSpace::kResizedInputPixels,
        28,
        3136,
        12845056,
        {{600, 800, 588, 812}, {100, 100, 112, 112}, {20, 30, 56, 84}, {5000, 3000, 4620, 2772}},
        {{600, 800, 364, 504}, {50, 50, 168, 168}}}},
  };
  return expected;
}

void ExpectSizes(const LocalVlm& vlm, const std::vector<InputSizeCase>& cases) {
  for (const InputSizeCase& c : cases) {
    auto hw = vlm.ModelInputSize(c.height, c.width);
    ASSERT_TRUE(hw.ok()) << hw.status().ToString();
    EXPECT_EQ(*hw, std::make_pair(c.want_height, c.want_width)) << c.height << "x" << c.width;
  }
}

TEST_P(LocalVlmTest, GroundingSpaceAndModelInputSize) {
  auto it = Expected().find(GetParam());
  ASSERT_NE(it, Expected().end())
      << "add the family's grounding space and input sizes to Expected()";
  const FamilyGrounding& want = it->second;
  auto engine = Engine::Create(model_, EngineOptions{2, 2048, 64});
  ASSERT_TRUE(engine.ok());
  LocalVlm vlm(engine->get(), LocalVlmOptions{"tiny"});
  EXPECT_EQ(vlm.name(), "tiny");
  EXPECT_EQ(vlm.grounding_space(), want.space);
  ASSERT_EQ(model_->preprocessor().patch_size * model_->preprocessor().merge_size, want.factor);
  ASSERT_EQ(model_->preprocessor().min_pixels, want.min_pixels);
  ASSERT_EQ(model_->preprocessor().max_pixels, want.max_pixels);
  ExpectSizes(vlm, want.sizes);
  EXPECT_FALSE(vlm.ModelInputSize(0, 100).ok());

  // The bounds are the checkpoint's, not the family's defaults: the same checkpoint with
  // other bounds in its preprocessor_config.json (top-level keys override "size").
  const std::string custom = dir_ + "_custom_bounds";
  fs::remove_all(custom);
  fs::copy(dir_, custom);
  nlohmann::json config;
  std::ifstream(custom + "/preprocessor_config.json") >> config;
  config["min_pixels"] = 20000;
  config["max_pixels"] = 200000;
  std::ofstream(custom + "/preprocessor_config.json") << config.dump(2);
  auto bounded_model = LoadModel(custom);
  fs::remove_all(custom);
  ASSERT_TRUE(bounded_model.ok()) << bounded_model.status().ToString();
  auto bounded_engine = Engine::Create(bounded_model->get(), EngineOptions{2, 2048, 64});
  ASSERT_TRUE(bounded_engine.ok()) << bounded_engine.status().ToString();
  LocalVlm bounded(bounded_engine->get(), LocalVlmOptions{});
  EXPECT_EQ(bounded.grounding_space(), want.space);
  ExpectSizes(bounded, want.custom_sizes);
}

// The whole pipeline on the local engine: every call runs, within its token budget,
// and a failure to parse random text is reported in the result, not as a crash.
TEST_P(LocalVlmTest, PipelineRunsEndToEnd) {
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
