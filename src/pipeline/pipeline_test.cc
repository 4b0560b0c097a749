// The pipeline end to end on hand-written replay files (tests/data/replay) with a fake
// OCR engine: the acceptance cases of PIPELINE.md.
#include "corgi/pipeline/pipeline.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corgi/pipeline/results_json.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

using testing::FakeOcr;
using testing::ReplayPath;
using testing::ReplayRun;
using testing::RunWith;

std::unique_ptr<ReplayVlm> LoadReplay(const std::string& name, ReplayOptions options = {}) {
  auto vlm = ReplayVlm::FromFile(ReplayPath(name), options);
  EXPECT_TRUE(vlm.ok()) << vlm.status().ToString();
  return vlm.ok() ? std::move(*vlm) : nullptr;
}

void ExpectBox(const Box& b, double x1, double y1, double x2, double y2) {
  EXPECT_NEAR(b.x1, x1, 1e-12);
  EXPECT_NEAR(b.y1, y1, 1e-12);
  EXPECT_NEAR(b.x2, x2, 1e-12);
  EXPECT_NEAR(b.y2, y2, 1e-12);
}

const TraceCall* FindCall(const Trace& trace, const std::string& phase, int step = 0) {
  for (const TraceCall& c : trace.calls) {
    if (c.phase == phase && c.step == step) return &c;
  }
  return nullptr;
}

std::vector<std::string> EventTypes(const ReplayRun& run) {
  std::vector<std::string> types;
  for (const Event& e : run.events) types.push_back(e.type);
  return types;
}

TEST(PipelineTest, Qwen3BoxesEvidenceAndAnswer) {
  auto vlm = LoadReplay("qwen3_basic.json");
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm.get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const Result& r = *run.result;
  EXPECT_FALSE(r.error.has_value());
  EXPECT_EQ(r.chain_of_thought.substr(0, 23), "The question asks what ");
  ASSERT_EQ(r.steps.size(), 3u);
  ExpectBox(r.steps[0].boxes.at(0), 0.1, 0.2, 0.3, 0.4);  // 0..1000 / 1000
  ExpectBox(r.steps[1].boxes.at(0), 0.5, 0.1, 0.9, 0.3);
  EXPECT_TRUE(r.steps[2].boxes.empty());
  ASSERT_EQ(r.evidence.size(), 2u);
  EXPECT_EQ(r.evidence[0].kind, EvidenceKind::kObject);
  EXPECT_EQ(r.evidence[0].engine, "vlm-caption");
  // The whole caption, not its first sentence.
  EXPECT_EQ(r.evidence[0].text,
            "A small shop front with a green awning. A rectangular sign hangs above the door. "
            "The region supports the statement.");
  EXPECT_EQ(r.evidence[0].crop_file, "crops/step1_object.png");
  EXPECT_EQ(r.evidence[1].kind, EvidenceKind::kText);
  EXPECT_EQ(r.evidence[1].text, "OPEN 24 HOURS");
  EXPECT_EQ(r.evidence[1].engine, "fake-ocr");
  EXPECT_EQ(r.evidence[1].confidence, 0.9);
  EXPECT_EQ(ocr.calls.load(), 1);
  EXPECT_EQ(r.answer, "OPEN 24 HOURS");
  ASSERT_EQ(r.key_evidence.size(), 1u);
  ExpectBox(r.key_evidence[0].box, 0.5, 0.1, 0.9, 0.3);
  EXPECT_EQ(r.counts.steps, 3);
  EXPECT_EQ(r.counts.steps_with_boxes_from_reasoning, 2);
  EXPECT_EQ(r.counts.object_evidence, 1);
  EXPECT_EQ(r.counts.text_evidence, 1);
  EXPECT_EQ(r.counts.model_calls, 3);
  EXPECT_EQ(r.counts.fallback_groundings, 0);
  EXPECT_EQ(vlm->remaining(), 1u);  // the "ocr" recording is for ocr.engine = vlm
  std::vector<std::string> phases;
  for (const PhaseTiming& t : r.timings) phases.push_back(t.phase);
  EXPECT_EQ(phases,
            (std::vector<std::string>{"reasoning", "grounding", "evidence", "synthesis", "total"}));
}

TEST(PipelineTest, TraceRecordsEveryCallAndEvidenceReachesSynthesis) {
  auto vlm = LoadReplay("qwen3_basic.json");
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm.get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok());
  ASSERT_EQ(run.trace.calls.size(), 3u);
  EXPECT_EQ(run.trace.grounding_space, "relative_1000");
  const TraceCall* reasoning = FindCall(run.trace, "reasoning");
  ASSERT_NE(reasoning, nullptr);
  EXPECT_EQ(reasoning->images, std::vector<std::string>{"original"});
  EXPECT_NE(reasoning->prompt.find("Question: What does the sign say?"), std::string::npos);
  EXPECT_NE(reasoning->constraint.find("</THINKING>"), std::string::npos);
  nlohmann::json constraint = nlohmann::json::parse(reasoning->constraint);
  EXPECT_EQ(constraint["prefix"], "\n<STRUCTURED_STEPS>");
  EXPECT_EQ(constraint["suffix"], "</STRUCTURED_STEPS>");
  nlohmann::json schema = nlohmann::json::parse(constraint["json_schema"].get<std::string>());
  EXPECT_EQ(schema["properties"]["steps"]["maxItems"], 6);
  const TraceCall* caption = FindCall(run.trace, "caption", 1);
  ASSERT_NE(caption, nullptr);
  EXPECT_EQ(caption->images, std::vector<std::string>{"crops/step1_object.png"});
  EXPECT_NE(caption->prompt.find("There is a storefront"), std::string::npos);
  const TraceCall* synthesis = FindCall(run.trace, "synthesis");
  ASSERT_NE(synthesis, nullptr);
  // OCR text and the whole caption reach the synthesis prompt, with their boxes.
  EXPECT_NE(
      synthesis->prompt.find("text region [500, 100, 900, 300]: text read: \"OPEN 24 HOURS\""),
      std::string::npos)
      << synthesis->prompt;
  EXPECT_NE(synthesis->prompt.find("A rectangular sign hangs above the door. The region supports"),
            std::string::npos);
  EXPECT_NE(synthesis->prompt.find("object region [100, 200, 300, 400]"), std::string::npos);
  EXPECT_EQ(synthesis->prompt.find("None"), std::string::npos);
  EXPECT_NE(synthesis->constraint.find("key_evidence"), std::string::npos);
}

TEST(PipelineTest, EventsComeInOrder) {
  auto vlm = LoadReplay("qwen3_basic.json");
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm.get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok());
  std::vector<std::string> expected = {
      "pipeline_start", "phase_start", "delta",       "chain_of_thought", "step",
      "step",           "step",        "phase_end",   "phase_start",      "phase_end",
      "phase_start",    "evidence",    "evidence",    "phase_end",        "phase_start",
      "delta",          "answer",      "key_evidence", "phase_end",       "pipeline_end"};
  EXPECT_EQ(EventTypes(run), expected);
  for (const Event& e : run.events) {
    EXPECT_TRUE(nlohmann::json::accept(e.json)) << e.json;
    EXPECT_EQ(e.json.find('\n'), std::string::npos);
  }
  EXPECT_NE(run.events[1].json.find("\"reasoning\""), std::string::npos);
  EXPECT_NE(run.events[14].json.find("\"synthesis\""), std::string::npos);
}

TEST(PipelineTest, VlmReadsTextWhenConfigured) {
  auto vlm = LoadReplay("qwen3_basic.json");
  PipelineConfig config;
  config.ocr.engine = "vlm";
  ReplayRun run = RunWith(vlm.get(), nullptr, config);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  ASSERT_EQ(run.result->evidence.size(), 2u);
  EXPECT_EQ(run.result->evidence[1].engine, "vlm-ocr");
  EXPECT_EQ(run.result->evidence[1].text, "OPEN 24 HOURS");
  EXPECT_NE(FindCall(run.trace, "ocr", 2), nullptr);
  EXPECT_EQ(vlm->remaining(), 0u);
}

TEST(PipelineTest, Qwen25PixelBoxes) {
  auto vlm = LoadReplay("qwen25_pixels.json");  // grounding_space from the file
  ASSERT_EQ(vlm->grounding_space(), GroundingSpace::kResizedInputPixels);
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm.get(), &ocr, PipelineConfig{}, "What color is the ball?");
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const Result& r = *run.result;
  // 600x800 -> Qwen2.5-VL input 588x812; [203,147,406,294] is a quarter of each side.
  ExpectBox(r.steps.at(0).boxes.at(0), 0.25, 0.25, 0.5, 0.5);
  ExpectBox(r.key_evidence.at(0).box, 0.25, 0.25, 0.5, 0.5);  // swapped corners, fenced JSON
  EXPECT_EQ(r.answer, "red");
  const TraceCall* reasoning = FindCall(run.trace, "reasoning");
  EXPECT_NE(reasoning->prompt.find("812x588"), std::string::npos);
  const TraceCall* synthesis = FindCall(run.trace, "synthesis");
  EXPECT_NE(synthesis->prompt.find("[203, 147, 406, 294]"), std::string::npos) << synthesis->prompt;
}

TEST(PipelineTest, UnparseableReasoningIsAnErrorInTheResult) {
  auto vlm = LoadReplay("bad_reasoning.json");
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm.get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  ASSERT_TRUE(run.result->error.has_value());
  EXPECT_NE(run.result->error->find("reasoning output: JSON does not parse"), std::string::npos)
      << *run.result->error;
  EXPECT_TRUE(run.result->steps.empty());
  EXPECT_EQ(run.trace.calls.size(), 1u);
  std::vector<std::string> types = EventTypes(run);
  ASSERT_GE(types.size(), 2u);
  EXPECT_EQ(types[types.size() - 2], "error");
  EXPECT_EQ(types.back(), "pipeline_end");
}

TEST(PipelineTest, UnreadableSynthesisIsAnErrorInTheResult) {
  auto vlm = LoadReplay("bad_synthesis.json");
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm.get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  ASSERT_TRUE(run.result->error.has_value());
  EXPECT_NE(run.result->error->find("synthesis output"), std::string::npos);
  EXPECT_EQ(run.result->steps.size(), 1u);
  EXPECT_TRUE(run.result->answer.empty());
  std::vector<std::string> types = EventTypes(run);
  EXPECT_NE(std::find(types.begin(), types.end(), "error"), types.end());
  EXPECT_EQ(std::find(types.begin(), types.end(), "answer"), types.end());
}

// A failed caption call is an error on its evidence item, not on the query (it used to
// abort the query, issue 12); a failed synthesis call still fails the query.
TEST(PipelineTest, MissingRecordingNamesPhaseAndStep) {
  const std::string reasoning =
      R"({"phase": "reasoning", "output": )"
      R"("<STRUCTURED_STEPS>{\"steps\": [{\"statement\": \"a dog\", )"
      R"(\"need_object_captioning\": true, \"bbox\": [0, 0, 500, 500]}]})"
      R"(</STRUCTURED_STEPS>"})";
  auto vlm = ReplayVlm::FromJson(
      R"({"completions": [)" + reasoning +
          R"(, {"phase": "synthesis", "output": "{\"answer\": \"a dog\", \"explanation\": \"e\"}"}]})",
      "inline", ReplayOptions{});
  ASSERT_TRUE(vlm.ok()) << vlm.status().ToString();
  FakeOcr ocr;
  ReplayRun run = RunWith(vlm->get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  ASSERT_EQ(run.result->evidence.size(), 1u);
  ASSERT_TRUE(run.result->evidence[0].error.has_value());
  EXPECT_NE(run.result->evidence[0].error->find("\"caption\" step 1"), std::string::npos)
      << *run.result->evidence[0].error;
  EXPECT_TRUE(run.result->evidence[0].text.empty());
  EXPECT_EQ(run.result->answer, "a dog");

  auto no_synthesis = ReplayVlm::FromJson(R"({"completions": [)" + reasoning + "]}", "inline",
                                          ReplayOptions{});
  ASSERT_TRUE(no_synthesis.ok());
  ReplayRun failed = RunWith(no_synthesis->get(), &ocr, PipelineConfig{});
  ASSERT_FALSE(failed.result.ok());
  EXPECT_EQ(failed.result.status().code(), StatusCode::kNotFound);
  EXPECT_NE(failed.result.status().message().find("\"synthesis\" step 0"), std::string::npos)
      << failed.result.status().ToString();
  EXPECT_EQ(failed.events.back().type, "error");
}

TEST(PipelineTest, CallerErrorsAreStatuses) {
  auto vlm = LoadReplay("qwen3_basic.json");
  FakeOcr ocr;
  Pipeline p(vlm.get(), &ocr, PipelineConfig{});
  EXPECT_EQ(p.Run(Query{"x", testing::TestImage(), ""}, nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(p.Run(Query{"x", RgbImage{}, "q"}, nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  Pipeline no_ocr(vlm.get(), nullptr, PipelineConfig{});
  EXPECT_EQ(no_ocr.Run(Query{"x", testing::TestImage(), "q"}, nullptr, nullptr).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(vlm->remaining(), 4u);  // nothing consumed
}

}  // namespace
}  // namespace corgi::pipeline

namespace corgi::pipeline {
namespace {

TEST(PipelineStreamTest, DeltaEventsCarryTheReasoningAndSynthesisTextInOrder) {
  auto vlm = ReplayVlm::FromFile(testing::ReplayPath("qwen3_basic.json"), {});
  ASSERT_TRUE(vlm.ok());
  testing::FakeOcr ocr;
  testing::ReplayRun run = testing::RunWith(vlm->get(), &ocr, PipelineConfig{});
  ASSERT_TRUE(run.result.ok());
  std::string reasoning, synthesis;
  std::string phase;
  for (const Event& e : run.events) {
    auto payload = nlohmann::json::parse(e.json);
    if (e.type == "phase_start") phase = payload["phase"];
    if (e.type != "delta") continue;
    EXPECT_EQ(payload["phase"], phase) << "a delta outside its phase";
    (payload["phase"] == "reasoning" ? reasoning : synthesis) += payload["text"].get<std::string>();
  }
  ASSERT_GE(run.trace.calls.size(), 2u);
  EXPECT_EQ(reasoning, run.trace.calls.front().raw_output);
  EXPECT_EQ(synthesis, run.trace.calls.back().raw_output);
}

TEST(PipelineStreamTest, ACancelledQueryStopsBeforeItsNextCall) {
  auto vlm = ReplayVlm::FromFile(testing::ReplayPath("qwen3_basic.json"), {});
  ASSERT_TRUE(vlm.ok());
  testing::FakeOcr ocr;
  Pipeline pipeline(vlm->get(), &ocr, PipelineConfig{});
  Query q{"test.png", testing::TestImage(), "What does the sign say?"};
  q.cancel = CancelToken();
  q.cancel->Cancel();
  Trace trace;
  StatusOr<Result> r = pipeline.Run(q, nullptr, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(trace.calls.empty());
}

}  // namespace
}  // namespace corgi::pipeline
