// Regression for deeply nested JSON in model output (issue 11, defect 1): a synthesis
// `answer`, a reasoning `bbox`, a step flag or a grounding `bbox_2d` holding 70,000 nested
// arrays crashed the JSON serializer (stack overflow). Each is driven through the whole
// pipeline with a replay file; the query must end with a clear error or a repair, and the
// result and trace must serialize and read back.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corgi/pipeline/results_json.h"
#include "pipeline/parse.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

using testing::FakeOcr;
using testing::ReplayRun;
using testing::RunWith;

const std::string& Deep() {
  static const std::string deep = std::string(70000, '[') + std::string(70000, ']');
  return deep;
}

std::string Reasoning(const std::string& step_fields) {
  return "<STRUCTURED_STEPS>{\"steps\": [{\"index\": 1, \"statement\": \"a sign\", " +
         step_fields + "}]}</STRUCTURED_STEPS>";
}

const char* kSynthesis = R"({"answer": "a sign", "explanation": "seen."})";

// Runs recorded outputs, given as (phase, step, output), through the pipeline.
ReplayRun RunOutputs(const std::vector<std::tuple<std::string, int, std::string>>& outputs) {
  nlohmann::json completions = nlohmann::json::array();
  for (const auto& [phase, step, output] : outputs)
    completions.push_back({{"phase", phase}, {"step", step}, {"output", output}});
  const std::string replay = nlohmann::json{{"completions", completions}}.dump();
  auto vlm = ReplayVlm::FromJson(replay, "deep.json", ReplayOptions{});
  EXPECT_TRUE(vlm.ok()) << vlm.status().ToString();
  if (!vlm.ok()) return ReplayRun{};
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm->get(), &ocr, PipelineConfig{});
  EXPECT_TRUE(run.result.ok()) << run.result.status().ToString();
  if (run.result.ok()) {
    // Everything that leaves the pipeline serializes and reads back.
    const std::string results = ResultToJson(*run.result);
    EXPECT_TRUE(ResultFromJson(results, "results.json").ok());
    const std::string trace = TraceToJson(run.trace);
    EXPECT_TRUE(TraceFromJson(trace, "trace.json").ok());
    EXPECT_TRUE(ReplayVlm::FromJson(trace, "trace.json", ReplayOptions{}).ok());
  }
  return run;
}

void ExpectDepthError(const ReplayRun& run, const std::string& phase) {
  ASSERT_TRUE(run.result.ok());
  ASSERT_TRUE(run.result->error.has_value()) << phase;
  EXPECT_NE(run.result->error->find(phase + " output: JSON nested deeper than 64 levels"),
            std::string::npos)
      << *run.result->error;
}

TEST(DeepJsonTest, ReasoningBboxIsAnError) {
  ExpectDepthError(RunOutputs({{"reasoning", 0, Reasoning("\"bbox\": " + Deep())}}), "reasoning");
}

TEST(DeepJsonTest, StepFlagIsAnError) {
  ExpectDepthError(RunOutputs({{"reasoning", 0, Reasoning("\"need_text_ocr\": " + Deep())}}),
                   "reasoning");
}

TEST(DeepJsonTest, SynthesisAnswerIsAnError) {
  ReplayRun run = RunOutputs({{"reasoning", 0, Reasoning("\"need_object_captioning\": false")},
                       {"synthesis", 0, "{\"answer\": " + Deep() + ", \"explanation\": \"x\"}"}});
  ExpectDepthError(run, "synthesis");
  EXPECT_TRUE(run.result->answer.empty());
}

// A grounding output is per step: the deep one becomes that step's warning and the step
// falls back to the whole image; the query still answers.
TEST(DeepJsonTest, GroundingBbox2dIsAWarning) {
  ReplayRun run = RunOutputs({{"reasoning", 0, Reasoning("\"need_object_captioning\": true")},
                       {"grounding", 1, "[{\"bbox_2d\": " + Deep() + ", \"label\": \"sign\"}]"},
                       {"caption", 1, "A sign."},
                       {"synthesis", 0, kSynthesis}});
  ASSERT_TRUE(run.result.ok());
  EXPECT_FALSE(run.result->error.has_value()) << *run.result->error;
  EXPECT_EQ(run.result->answer, "a sign");
  const std::vector<std::string>& w = run.result->warnings;
  EXPECT_TRUE(std::any_of(w.begin(), w.end(), [](const std::string& s) {
    return s.find("grounding output: JSON nested deeper than 64 levels") != std::string::npos;
  }));
}

// Within the limit, a wrongly shaped value is repaired and shown cut short in the warning.
TEST(DeepJsonTest, ShallowWrongShapesAreRepairedWithShortWarnings) {
  const std::string nested = std::string(50, '[') + "1" + std::string(50, ']');
  StatusOr<ParsedReasoning> parsed =
      ParseReasoning(Reasoning("\"bbox\": " + nested + ", \"need_text_ocr\": " + nested), 6,
                     BoxFrame{});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->steps.size(), 1u);
  EXPECT_TRUE(parsed->steps[0].boxes.empty());
  ASSERT_EQ(parsed->steps[0].warnings.size(), 2u);
  for (const std::string& w : parsed->steps[0].warnings) EXPECT_LT(w.size(), 250u) << w;
}

TEST(DeepJsonTest, DeepReplayAndResultFilesAreErrors) {
  auto vlm = ReplayVlm::FromJson("{\"completions\": " + Deep() + "}", "deep.json", {});
  ASSERT_FALSE(vlm.ok());
  EXPECT_EQ(vlm.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(vlm.status().message().find("deep.json: JSON nested deeper than 64 levels"),
            std::string::npos)
      << vlm.status().message();
  EXPECT_EQ(ResultFromJson("{\"steps\": " + Deep() + "}", "r.json").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(TraceFromJson(Deep(), "t.json").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace corgi::pipeline
