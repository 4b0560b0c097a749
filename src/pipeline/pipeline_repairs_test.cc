// The pipeline on a reasoning output that needs every repair (tests/data/replay/
// repairs.json), and round trips through results.json and trace.json.
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

void ExpectBox(const Box& b, double x1, double y1, double x2, double y2) {
  EXPECT_NEAR(b.x1, x1, 1e-12);
  EXPECT_NEAR(b.y1, y1, 1e-12);
  EXPECT_NEAR(b.x2, x2, 1e-12);
  EXPECT_NEAR(b.y2, y2, 1e-12);
}

bool HasWarning(const std::vector<std::string>& warnings, const std::string& part) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

PipelineConfig RepairsConfig() {
  PipelineConfig config;
  config.max_regions = 2;
  return config;
}

ReplayRun RunRepairs(FakeOcr* ocr) {
  auto vlm = ReplayVlm::FromFile(ReplayPath("repairs.json"), ReplayOptions{});
  EXPECT_TRUE(vlm.ok()) << vlm.status().ToString();
  ReplayRun run = RunWith(vlm->get(), ocr, RepairsConfig());
  EXPECT_EQ((*vlm)->remaining(), 0u);
  return run;
}

TEST(PipelineRepairsTest, StepsAreRepairedTruncatedAndRenumbered) {
  FakeOcr ocr;
  ReplayRun run = RunRepairs(&ocr);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const Result& r = *run.result;
  ASSERT_FALSE(r.error.has_value()) << *r.error;
  // 8 written, one without statement dropped, 7 > max_steps 6: the last one cut.
  ASSERT_EQ(r.steps.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r.steps[i].index, i + 1);
  EXPECT_EQ(r.steps[4].statement, "The cat is asleep");
  EXPECT_TRUE(HasWarning(r.warnings, "missing statement"));
  EXPECT_TRUE(HasWarning(r.warnings, "max_steps"));
  // Step 1: flags as strings ("false", "yes") -> text; corners swapped.
  EXPECT_TRUE(r.steps[0].need_text);
  EXPECT_FALSE(r.steps[0].need_object);
  ExpectBox(r.steps[0].boxes.at(0), 0.2, 0.1, 0.6, 0.4);
  EXPECT_TRUE(HasWarning(r.steps[0].warnings, "swapped"));
  // Step 2: "true"/"no" -> object; clamped to the image.
  EXPECT_TRUE(r.steps[1].need_object);
  ExpectBox(r.steps[1].boxes.at(0), 0.0, 0.1, 0.3, 1.0);
  EXPECT_TRUE(HasWarning(r.steps[1].warnings, "clamped"));
  // Step 3: zero-area box dropped -> fallback grounding, duplicates removed by NMS.
  EXPECT_TRUE(HasWarning(r.steps[2].warnings, "zero area"));
  EXPECT_EQ(r.steps[2].box_source, BoxSource::kGrounding);
  ASSERT_EQ(r.steps[2].boxes.size(), 2u);
  ExpectBox(r.steps[2].boxes[0], 0.1, 0.1, 0.4, 0.4);
  ExpectBox(r.steps[2].boxes[1], 0.6, 0.6, 0.9, 0.9);
  EXPECT_TRUE(HasWarning(r.warnings, "removed by NMS"));
  // Step 4: both flags -> text.
  EXPECT_TRUE(r.steps[3].need_text);
  EXPECT_FALSE(r.steps[3].need_object);
  EXPECT_TRUE(HasWarning(r.steps[3].warnings, "treated as text"));
  // Step 5: no box, grounding found nothing -> the whole image, recorded.
  EXPECT_EQ(r.steps[4].box_source, BoxSource::kWholeImage);
  ExpectBox(r.steps[4].boxes.at(0), 0, 0, 1, 1);
  EXPECT_TRUE(HasWarning(r.warnings, "step 5: grounding found no region"));
  // Step 6: pure reasoning.
  EXPECT_TRUE(r.steps[5].boxes.empty());
  EXPECT_EQ(r.counts.steps_with_boxes_from_reasoning, 3);
  EXPECT_EQ(r.counts.fallback_groundings, 2);
}

TEST(PipelineRepairsTest, EvidenceIsDeduplicatedAndRouted) {
  FakeOcr ocr;
  ReplayRun run = RunRepairs(&ocr);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const Result& r = *run.result;
  // Steps 1 and 4 ask for text on the same box: one OCR call, two evidence items.
  EXPECT_EQ(ocr.calls.load(), 1);
  ASSERT_EQ(r.evidence.size(), 6u);
  std::vector<int> steps;
  for (const Evidence& e : r.evidence) steps.push_back(e.step);
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3, 3, 4, 5}));
  EXPECT_EQ(r.evidence[4].text, "OPEN 24 HOURS");
  EXPECT_EQ(r.evidence[4].crop_file, r.evidence[0].crop_file);
  EXPECT_EQ(r.evidence[2].text, "A wooden bench.");
  EXPECT_EQ(r.evidence[3].text, "Another wooden bench.");
  EXPECT_EQ(r.evidence[2].crop_file, "crops/step3_object_1.png");
  EXPECT_EQ(r.evidence[3].crop_file, "crops/step3_object_2.png");
  EXPECT_EQ(r.counts.text_evidence, 2);
  EXPECT_EQ(r.counts.object_evidence, 4);
  // Grounding calls are in the trace, and the whole-image fallback is an event.
  int groundings = 0;
  for (const TraceCall& c : run.trace.calls) groundings += c.phase == "grounding";
  EXPECT_EQ(groundings, 2);
  int fallback_events = 0;
  bool whole_image_warning = false;
  for (const Event& e : run.events) {
    fallback_events += e.type == "fallback_boxes";
    whole_image_warning |= e.type == "warning" && e.json.find("whole image") != std::string::npos;
  }
  EXPECT_EQ(fallback_events, 1);
  EXPECT_TRUE(whole_image_warning);
}

// results.json with the parts that measure wall time zeroed.
std::string WithoutTimes(const Result& r) {
  nlohmann::json j = nlohmann::json::parse(ResultToJson(r));
  for (auto& t : j["timings"]) t["ms"] = 0;
  for (auto& e : j["evidence"]) e["ms"] = 0;
  return j.dump(1);
}

TEST(PipelineRepairsTest, TraceReplayReproducesTheResult) {
  for (const char* file : {"repairs.json", "qwen3_basic.json", "qwen25_pixels.json"}) {
    SCOPED_TRACE(file);
    auto first_vlm = ReplayVlm::FromFile(ReplayPath(file), ReplayOptions{});
    ASSERT_TRUE(first_vlm.ok());
    FakeOcr ocr;
    ReplayRun first = RunWith(first_vlm->get(), &ocr, RepairsConfig());
    ASSERT_TRUE(first.result.ok()) << first.result.status().ToString();

    std::string trace_json = TraceToJson(first.trace);
    StatusOr<Trace> trace_back = TraceFromJson(trace_json, "trace.json");
    ASSERT_TRUE(trace_back.ok()) << trace_back.status().ToString();
    EXPECT_EQ(TraceToJson(*trace_back), trace_json);

    auto replay = ReplayVlm::FromJson(trace_json, "trace.json", ReplayOptions{});
    ASSERT_TRUE(replay.ok()) << replay.status().ToString();
    ReplayRun second = RunWith(replay->get(), &ocr, RepairsConfig());
    ASSERT_TRUE(second.result.ok()) << second.result.status().ToString();
    EXPECT_EQ(WithoutTimes(*second.result), WithoutTimes(*first.result));
    EXPECT_EQ((*replay)->remaining(), 0u);
  }
}

TEST(ResultsJsonTest, RoundTripAndErrors) {
  FakeOcr ocr;
  ReplayRun run = RunRepairs(&ocr);
  ASSERT_TRUE(run.result.ok());
  std::string text = ResultToJson(*run.result);
  StatusOr<Result> back = ResultFromJson(text, "results.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ResultToJson(*back), text);
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["steps"][0]["type"], "text");
  EXPECT_EQ(j["steps"][4]["box_source"], "whole_image");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["evidence"][0]["confidence"], 0.9);

  StatusOr<Result> bad = ResultFromJson(R"({"steps": [{"boxes": [[0, 0, 1]]}]})", "r.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("result.steps[0].boxes[0]"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ResultFromJson("{", "r.json").ok());
  EXPECT_FALSE(TraceFromJson(R"({"calls": [{"step": "x"}]})", "t.json").ok());
}

}  // namespace
}  // namespace corgi::pipeline
