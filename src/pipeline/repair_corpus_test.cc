// Replays the corpus of unconstrained model outputs in tests/data/repair/ (issue 12,
// tests/data/repair/README.md): every case through its parser, or through the whole
// pipeline with a Vlm that fails chosen calls and refuses crops the way a model's
// preprocessing does. Each failure names its case.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corgi/pipeline/results_json.h"
#include "pipeline/boxes.h"
#include "pipeline/model_text.h"
#include "pipeline/parse.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

using Json = nlohmann::json;

std::vector<Json> LoadCases(const std::string& file) {
  std::string path = std::string(CORGI_TEST_DATA) + "/repair/" + file;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Json> cases;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      cases.push_back(Json::parse(line));
    } catch (const Json::exception& e) {
      ADD_FAILURE() << path << ":" << n << ": " << e.what();
    }
  }
  return cases;
}

std::string Id(const Json& c) { return "case " + c.value("id", std::string("?")); }

BoxFrame FrameOf(const Json& c) {
  if (!c.contains("frame")) return BoxFrame::Relative1000();
  return BoxFrame::ResizedInputPixels(c["frame"]["width"], c["frame"]["height"]);
}

std::string Joined(const std::vector<std::string>& warnings) {
  std::string all;
  for (const std::string& w : warnings) all += "\n  " + w;
  return all.empty() ? " (none)" : all;
}

// "warnings": substrings that must each appear; "warning_count": the exact number.
void ExpectWarnings(const std::vector<std::string>& warnings, const Json& expect) {
  for (const std::string& part : expect.value("warnings", std::vector<std::string>{})) {
    bool found = std::any_of(warnings.begin(), warnings.end(), [&](const std::string& w) {
      return w.find(part) != std::string::npos;
    });
    EXPECT_TRUE(found) << "no warning contains \"" << part << "\"; warnings:" << Joined(warnings);
  }
  if (expect.contains("warning_count")) {
    EXPECT_EQ(warnings.size(), expect["warning_count"].get<size_t>()) << "warnings:" << Joined(warnings);
  }
}

void ExpectBox(const Box& box, const Json& expected, const std::string& what) {
  ASSERT_TRUE(expected.is_array() && expected.size() == 4) << what;
  const double got[4] = {box.x1, box.y1, box.x2, box.y2};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], expected[i].get<double>(), 1e-9) << what;
}

// "error": a substring of the DataLoss message when the output must not parse.
template <typename T>
bool ExpectedError(const StatusOr<T>& parsed, const Json& expect) {
  if (!expect.contains("error")) {
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return !parsed.ok();
  }
  EXPECT_FALSE(parsed.ok()) << "parsed, but an error containing \"" << expect["error"].get<std::string>()
                            << "\" was expected";
  if (!parsed.ok()) {
    EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(parsed.status().message().find(expect["error"].get<std::string>()), std::string::npos)
        << parsed.status().message();
  }
  return true;
}

TEST(RepairCorpusTest, AtLeastSixtyCasesOverEveryPhase) {
  std::map<std::string, int> phases;
  size_t total = 0;
  std::set<std::string> ids;
  for (const char* file :
       {"reasoning.jsonl", "grounding.jsonl", "text.jsonl", "synthesis.jsonl", "pipeline.jsonl"}) {
    for (const Json& c : LoadCases(file)) {
      ++phases[c["phase"].get<std::string>()];
      ++total;
      EXPECT_TRUE(ids.insert(c["id"].get<std::string>()).second) << "duplicate " << Id(c);
    }
  }
  EXPECT_GE(total, 60u);
  for (const char* phase : {"reasoning", "grounding", "caption", "ocr", "synthesis", "pipeline"}) {
    EXPECT_GE(phases[phase], 3) << phase;
  }
}

TEST(RepairCorpusTest, Reasoning) {
  for (const Json& c : LoadCases("reasoning.jsonl")) {
    SCOPED_TRACE(Id(c));
    const Json& expect = c["expect"];
    StatusOr<ParsedReasoning> r = ParseReasoning(c["output"], c.value("max_steps", 6), FrameOf(c));
    if (ExpectedError(r, expect)) continue;
    EXPECT_EQ(r->thinking, expect["thinking"].get<std::string>());
    if (expect.contains("thinking_excludes")) {
      EXPECT_EQ(r->thinking.find(expect["thinking_excludes"].get<std::string>()), std::string::npos)
          << r->thinking;
    }
    const Json& steps = expect["steps"];
    ASSERT_EQ(r->steps.size(), steps.size());
    std::vector<std::string> warnings = r->warnings;
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& s = r->steps[i];
      std::string what = "step " + std::to_string(i + 1);
      EXPECT_EQ(s.statement, steps[i]["statement"].get<std::string>()) << what;
      const char* type = s.need_text ? "text" : s.need_object ? "object" : "reasoning";
      EXPECT_EQ(type, steps[i]["type"].get<std::string>()) << what;
      if (steps[i]["box"].is_null()) {
        EXPECT_TRUE(s.boxes.empty()) << what;
      } else {
        ASSERT_EQ(s.boxes.size(), 1u) << what;
        ExpectBox(s.boxes[0], steps[i]["box"], what);
      }
      warnings.insert(warnings.end(), s.warnings.begin(), s.warnings.end());
    }
    ExpectWarnings(warnings, expect);
  }
}

TEST(RepairCorpusTest, Grounding) {
  for (const Json& c : LoadCases("grounding.jsonl")) {
    SCOPED_TRACE(Id(c));
    const Json& expect = c["expect"];
    StatusOr<ParsedGrounding> g = ParseGrounding(c["output"], FrameOf(c));
    if (ExpectedError(g, expect)) continue;
    ASSERT_EQ(g->boxes.size(), expect["boxes"].size()) << "warnings:" << Joined(g->warnings);
    ASSERT_EQ(g->labels.size(), g->boxes.size());
    ASSERT_EQ(g->confidences.size(), g->boxes.size());
    for (size_t i = 0; i < g->boxes.size(); ++i) {
      ExpectBox(g->boxes[i], expect["boxes"][i], "box " + std::to_string(i));
      EXPECT_EQ(g->labels[i], expect["labels"][i].get<std::string>()) << "box " << i;
      const Json& want = expect.contains("confidences") ? expect["confidences"][i] : Json();
      if (want.is_null()) {
        EXPECT_FALSE(g->confidences[i].has_value()) << "box " << i;
      } else {
        ASSERT_TRUE(g->confidences[i].has_value()) << "box " << i;
        EXPECT_DOUBLE_EQ(*g->confidences[i], want.get<double>()) << "box " << i;
      }
    }
    std::vector<size_t> kept = NmsIndices(g->boxes, g->confidences, PipelineConfig{}.nms_iou);
    EXPECT_EQ(kept, expect["kept"].get<std::vector<size_t>>());
    ExpectWarnings(g->warnings, expect);
  }
}

TEST(RepairCorpusTest, CaptionAndOcr) {
  for (const Json& c : LoadCases("text.jsonl")) {
    SCOPED_TRACE(Id(c));
    const Json& expect = c["expect"];
    ThinkStripped t = StripThinkBlocks(c["output"]);
    EXPECT_EQ(t.text, expect["text"].get<std::string>());
    EXPECT_EQ(t.unterminated, expect.value("unterminated", false));
    if (expect.contains("thought")) {
      EXPECT_EQ(t.thought, expect["thought"].get<std::string>());
    }
  }
}

TEST(RepairCorpusTest, Synthesis) {
  for (const Json& c : LoadCases("synthesis.jsonl")) {
    SCOPED_TRACE(Id(c));
    const Json& expect = c["expect"];
    StatusOr<ParsedSynthesis> s = ParseSynthesis(c["output"], FrameOf(c));
    if (ExpectedError(s, expect)) continue;
    EXPECT_EQ(s->answer, expect["answer"].get<std::string>());
    if (expect.contains("explanation")) {
      EXPECT_EQ(s->explanation, expect["explanation"].get<std::string>());
    }
    if (expect.contains("key_evidence")) {
      ASSERT_EQ(s->key_evidence.size(), expect["key_evidence"].size()) << "warnings:" << Joined(s->warnings);
      for (size_t i = 0; i < s->key_evidence.size(); ++i) {
        ExpectBox(s->key_evidence[i].box, expect["key_evidence"][i], "key evidence " + std::to_string(i));
      }
    }
    ExpectWarnings(s->warnings, expect);
  }
}

// The replayed model, failing the calls a case names (as a remote engine would) and
// refusing an image its preprocessing refuses (smart_resize: aspect ratio above 200).
class FaultyVlm : public Vlm {
 public:
  FaultyVlm(std::unique_ptr<ReplayVlm> inner, const Json& fails) : inner_(std::move(inner)) {
    for (const Json& f : fails) fails_.emplace_back(f["phase"], f["step"], f["message"]);
  }
  StatusOr<Completion> Generate(const Request& request, const CallInfo& call) override {
    for (const auto& [phase, step, message] : fails_) {
      if (phase == call.phase && step == call.step) return IoError(message);
    }
    for (const Message& m : request.messages) {
      for (const ContentPart& part : m.content) {
        if (part.kind != ContentPart::Kind::kImage || !part.image) continue;
        CORGI_RETURN_IF_ERROR(inner_->ModelInputSize(part.image->height, part.image->width).status());
        if (call.phase == "caption" || call.phase == "ocr") {
          crops.emplace_back(part.image->width, part.image->height);
        }
      }
    }
    return inner_->Generate(request, call);
  }
  std::string name() const override { return "faulty-replay"; }
  GroundingSpace grounding_space() const override { return inner_->grounding_space(); }
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t h, int64_t w) const override {
    return inner_->ModelInputSize(h, w);
  }
  std::vector<std::pair<int64_t, int64_t>> crops;  // width, height of every evidence image

 private:
  std::unique_ptr<ReplayVlm> inner_;
  std::vector<std::tuple<std::string, int, std::string>> fails_;
};

void CheckPipelineCase(const Json& c) {
  const Json& expect = c["expect"];
  auto replay = ReplayVlm::FromJson(Json{{"completions", c["completions"]}}.dump(), Id(c), {});
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  FaultyVlm vlm(std::move(*replay), c.value("fail", Json::array()));
  testing::FakeOcr ocr;
  PipelineConfig config;
  if (c.contains("ocr_engine")) config.ocr.engine = c["ocr_engine"];
  testing::ReplayRun run = testing::RunWith(&vlm, &ocr, config);
  ASSERT_TRUE(run.result.ok()) << "the query failed: " << run.result.status().ToString();
  const Result& r = *run.result;
  ASSERT_FALSE(r.error.has_value()) << *r.error;
  const Json& evidence = expect["evidence"];
  ASSERT_EQ(r.evidence.size(), evidence.size()) << "warnings:" << Joined(r.warnings);
  for (size_t i = 0; i < evidence.size(); ++i) {
    const Evidence& e = r.evidence[i];
    std::string what = "evidence " + std::to_string(i);
    EXPECT_EQ(e.step, evidence[i]["step"].get<int>()) << what;
    EXPECT_EQ(e.text, evidence[i]["text"].get<std::string>()) << what;
    if (evidence[i]["error"].is_null()) {
      EXPECT_FALSE(e.error.has_value()) << what << ": " << e.error.value_or("");
    } else {
      ASSERT_TRUE(e.error.has_value()) << what;
      EXPECT_NE(e.error->find(evidence[i]["error"].get<std::string>()), std::string::npos)
          << what << ": " << *e.error;
    }
  }
  if (expect.contains("answer")) {
    EXPECT_EQ(r.answer, expect["answer"].get<std::string>());
  }
  for (size_t i = 0; expect.contains("steps") && i < expect["steps"].size(); ++i) {
    const Json& want = expect["steps"][i];
    ASSERT_LT(i, r.steps.size());
    EXPECT_EQ(BoxSourceName(r.steps[i].box_source), want["box_source"].get<std::string>());
    ASSERT_EQ(r.steps[i].boxes.size(), want["boxes"].size());
    for (size_t b = 0; b < want["boxes"].size(); ++b) ExpectBox(r.steps[i].boxes[b], want["boxes"][b], "step box");
  }
  ExpectWarnings(r.warnings, expect);
  if (expect.contains("min_crop")) {
    ASSERT_FALSE(vlm.crops.empty());
    for (const auto& [w, h] : vlm.crops) {
      EXPECT_GE(w, expect["min_crop"][0].get<int64_t>());
      EXPECT_GE(h, expect["min_crop"][1].get<int64_t>());
    }
  }
  // What the synthesis prompt says of the evidence.
  ASSERT_FALSE(run.trace.calls.empty());
  const std::string& prompt = run.trace.calls.back().prompt;
  EXPECT_EQ(run.trace.calls.back().phase, "synthesis");
  for (const std::string& part : expect.value("prompt_excludes", std::vector<std::string>{})) {
    EXPECT_EQ(prompt.find(part), std::string::npos) << "the synthesis prompt holds \"" << part << "\"";
  }
  if (expect.contains("prompt_contains")) {
    EXPECT_NE(prompt.find(expect["prompt_contains"].get<std::string>()), std::string::npos) << prompt;
  }
  // results.json keeps the errors and crop boxes.
  StatusOr<Result> back = ResultFromJson(ResultToJson(r), "results.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ResultToJson(*back), ResultToJson(r));
}

TEST(RepairCorpusTest, Pipeline) {
  for (const Json& c : LoadCases("pipeline.jsonl")) {
    SCOPED_TRACE(Id(c));
    CheckPipelineCase(c);
  }
}

}  // namespace
}  // namespace corgi::pipeline

namespace corgi::pipeline {
namespace {

// Hostile outputs (a replay file may hold megabytes): every parser stays linear.
TEST(RepairCorpusTest, LargeHostileOutputsFinishQuickly) {
  auto repeat = [](const std::string& s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
  };
  const BoxFrame frame = BoxFrame::Relative1000();
  EXPECT_EQ(StripThinkBlocks(repeat("</think>", 200000)).text, "");
  EXPECT_EQ(WithoutThinkTags(repeat("<think>", 200000)), "");
  EXPECT_FALSE(ParseReasoning(repeat("{\"steps\": [", 100000), 6, frame).ok());
  EXPECT_FALSE(ParseReasoning("<think>" + repeat("{\"steps\"", 100000), 6, frame).ok());
  EXPECT_FALSE(ParseSynthesis(repeat("{'answer': 'it's ", 100000), frame).ok());
  EXPECT_FALSE(ParseSynthesis(repeat("\"answer\" ", 100000) + "{", frame).ok());
  // Closing a truncated output never makes JSON deeper than kMaxJsonDepth pass.
  EXPECT_FALSE(ParseGrounding(repeat("[", 100000), frame).ok());
}

}  // namespace
}  // namespace corgi::pipeline
