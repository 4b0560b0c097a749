#include "pipeline/parse.h"

#include <gtest/gtest.h>

namespace corgi::pipeline {
namespace {

const BoxFrame kRel = BoxFrame::Relative1000();

std::string Steps(const std::string& steps_json) {
  return "<THINKING>think</THINKING>\n<STRUCTURED_STEPS>" + steps_json + "</STRUCTURED_STEPS>";
}

TEST(ParseReasoningTest, TaggedOutput) {
  auto r = ParseReasoning(Steps(R"({"steps": [{"index": 1, "statement": "a cat", "reason": "r",
      "need_object_captioning": true, "need_text_ocr": false, "bbox": [0, 0, 500, 250]}]})"),
                          6, kRel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->thinking, "think");
  ASSERT_EQ(r->steps.size(), 1u);
  const Step& s = r->steps[0];
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.statement, "a cat");
  EXPECT_EQ(s.reason, "r");
  EXPECT_TRUE(s.need_object);
  EXPECT_FALSE(s.need_text);
  ASSERT_EQ(s.boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(s.boxes[0].x2, 0.5);
  EXPECT_DOUBLE_EQ(s.boxes[0].y2, 0.25);
  EXPECT_EQ(s.box_source, BoxSource::kReasoning);
}

TEST(ParseReasoningTest, MissingTagsFencesAndTrailingText) {
  std::string out =
      "I will look at the sign.\n```json\n{\"steps\": [{\"statement\": \"sign\", "
      "\"need_text_ocr\": true}]}\n```\nThat is my plan.";
  auto r = ParseReasoning(out, 6, kRel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->thinking, "I will look at the sign.");
  ASSERT_EQ(r->steps.size(), 1u);
  EXPECT_TRUE(r->steps[0].need_text);
  EXPECT_TRUE(r->steps[0].boxes.empty());
  EXPECT_EQ(r->steps[0].box_source, BoxSource::kNone);

  auto bare = ParseReasoning(R"(plan: {"steps": [{"statement": "x"}]} and more text {)", 6, kRel);
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->steps.size(), 1u);
  // Closing tag missing (output cut short after the JSON).
  auto open = ParseReasoning("<THINKING>t</THINKING><STRUCTURED_STEPS>{\"steps\": []}", 6, kRel);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->steps.empty());
}

TEST(ParseReasoningTest, MalformedJsonIsAnErrorNotAGuess) {
  for (const char* bad : {
           R"({'steps': [{'statement': 'x'}]})",   // single quotes
           R"({"steps": [{"statement": "x"},]})",  // trailing comma
           R"({"steps": [{"statement": "x"})",     // truncated
           R"({"plan": []})",                      // no steps
           "no json at all",
       }) {
    auto r = ParseReasoning(Steps(bad), 6, kRel);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find("reasoning output"), std::string::npos);
  }
}

TEST(ParseReasoningTest, FlagsAsStringsAndNumbers) {
  auto r = ParseReasoning(Steps(R"({"steps": [
      {"statement": "a", "need_object_captioning": "false", "need_text_ocr": "true"},
      {"statement": "b", "need_object_captioning": "Yes", "need_text_ocr": "no"},
      {"statement": "c", "need_object_captioning": 0, "need_text_ocr": 1},
      {"statement": "d", "need_object_captioning": "maybe", "need_text_ocr": null}]})"),
                          6, kRel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->steps.size(), 4u);
  EXPECT_FALSE(r->steps[0].need_object);  // the string "false" is false
  EXPECT_TRUE(r->steps[0].need_text);
  EXPECT_TRUE(r->steps[1].need_object);
  EXPECT_FALSE(r->steps[1].need_text);
  EXPECT_FALSE(r->steps[2].need_object);
  EXPECT_TRUE(r->steps[2].need_text);
  EXPECT_FALSE(r->steps[3].need_object);
  EXPECT_EQ(r->steps[3].warnings.size(), 1u);  // "maybe" is reported
}

TEST(ParseReasoningTest, BothFlagsMeanText) {
  auto r = ParseReasoning(Steps(R"({"steps": [{"statement": "a", "need_object_captioning": true,
      "need_text_ocr": true}]})"),
                          6, kRel);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->steps[0].need_text);
  EXPECT_FALSE(r->steps[0].need_object);
  ASSERT_EQ(r->steps[0].warnings.size(), 1u);
  EXPECT_NE(r->steps[0].warnings[0].find("treated as text"), std::string::npos);
}

TEST(ParseReasoningTest, DropsTruncatesAndRenumbers) {
  auto r = ParseReasoning(Steps(R"({"steps": [
      {"index": 4, "statement": "a"}, {"index": 5, "reason": "no statement"},
      {"index": 9, "statement": "  "}, "not an object", {"index": 2, "statement": "b"},
      {"statement": "c"}, {"statement": "d"}]})"),
                          3, kRel);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->steps.size(), 3u);
  EXPECT_EQ(r->steps[0].statement, "a");
  EXPECT_EQ(r->steps[1].statement, "b");
  EXPECT_EQ(r->steps[2].statement, "c");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r->steps[i].index, i + 1);
  // Two missing statements, one non-object, one truncation.
  EXPECT_EQ(r->warnings.size(), 4u);
  EXPECT_NE(r->warnings.back().find("max_steps"), std::string::npos);
}

TEST(ParseReasoningTest, BboxVariants) {
  auto r = ParseReasoning(Steps(R"({"steps": [
      {"statement": "null", "need_object_captioning": true, "bbox": null},
      {"statement": "missing", "need_object_captioning": true},
      {"statement": "three", "need_object_captioning": true, "bbox": [1, 2, 3]},
      {"statement": "strings", "need_object_captioning": true, "bbox": ["a", "b", "c", "d"]},
      {"statement": "text", "need_object_captioning": true, "bbox": "top left"},
      {"statement": "zero", "need_object_captioning": true, "bbox": [10, 10, 10, 50]},
      {"statement": "floats", "need_object_captioning": true, "bbox": [100.5, 0, 200, 1000]}]})"),
                          10, kRel);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->steps.size(), 7u);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(r->steps[i].boxes.empty()) << i;
  EXPECT_TRUE(r->steps[0].warnings.empty());
  EXPECT_TRUE(r->steps[1].warnings.empty());
  for (int i = 2; i < 6; ++i) EXPECT_EQ(r->steps[i].warnings.size(), 1u) << i;
  ASSERT_EQ(r->steps[6].boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(r->steps[6].boxes[0].x1, 0.1005);
}

TEST(ParseGroundingTest, ArraySingleObjectAndBadEntries) {
  auto a = ParseGrounding(R"(```json
[{"bbox_2d": [0, 0, 500, 500], "label": "x"}, {"bbox_2d": [1, 2]}, {"label": "no box"}]
```)",
                          kRel);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->boxes.size(), 1u);
  EXPECT_EQ(a->labels[0], "x");
  EXPECT_EQ(a->warnings.size(), 2u);
  auto one = ParseGrounding(R"({"bbox_2d": [100, 100, 200, 200], "label": "y"} done)", kRel);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(one->boxes[0].x1, 0.1);
  auto none = ParseGrounding("[]", kRel);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->boxes.empty());
  EXPECT_FALSE(ParseGrounding("nothing found", kRel).ok());
}

TEST(ParseSynthesisTest, ReadsAnswerAndConvertsKeyEvidence) {
  auto s = ParseSynthesis(R"({"answer": " 42 ", "explanation": "e", "key_evidence": [
      {"bbox": [500, 500, 250, 250], "description": "d", "reasoning": "r"},
      {"bbox": null, "description": "no box"}]})",
                          kRel);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->answer, "42");
  EXPECT_EQ(s->explanation, "e");
  ASSERT_EQ(s->key_evidence.size(), 1u);
  EXPECT_DOUBLE_EQ(s->key_evidence[0].box.x1, 0.25);  // corners fixed
  EXPECT_DOUBLE_EQ(s->key_evidence[0].box.x2, 0.5);
  EXPECT_EQ(s->key_evidence[0].description, "d");
}

TEST(ParseSynthesisTest, TruncatesKeyEvidenceToThree) {
  auto s = ParseSynthesis(R"({"answer": "a", "explanation": "e", "key_evidence": [
      {"bbox": [0, 0, 10, 10]}, {"bbox": [0, 0, 20, 20]}, {"bbox": [0, 0, 30, 30]},
      {"bbox": [0, 0, 40, 40]}]})",
                          kRel);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->key_evidence.size(), 3u);
}

// A fence inside a string value is text, not a wrapper (seen with a random checkpoint:
// cutting at it left `[]` of key_evidence as "the" JSON value).
TEST(ParseSynthesisTest, FenceInsideAStringIsText) {
  auto s = ParseSynthesis("{\"answer\": \"x\", \"explanation\": \"a ```tag\\nb\", \"key_evidence\": []}", kRel);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->explanation, "a ```tag\nb");  // the JSON escape decoded
  // A fence that opens before the JSON still wraps it, even with brackets before the fence
  // inside text and after it.
  auto fenced = ParseSynthesis("See [1]:\n```json\n{\"answer\": \"y\", \"explanation\": \"e\", "
                               "\"key_evidence\": []}\n```\n[done]", kRel);
  ASSERT_TRUE(fenced.ok()) << fenced.status().ToString();
  EXPECT_EQ(fenced->answer, "y");
}

TEST(ParseSynthesisTest, UnreadableOutputIsAClearError) {
  // Plain text and trailing commas used to be errors here too; they are salvaged and
  // repaired now (issue 12), see RepairedAndSalvagedOutputIsMarked.
  for (const char* bad : {"", "  \n ", R"({"explanation": "no answer"})", R"(["answer"])",
                          R"({"answer": null})", R"({"answer": "x" "explanation"})",
                          "<think>never finished"}) {
    auto s = ParseSynthesis(bad, kRel);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(s.status().message().find("synthesis output"), std::string::npos);
  }
}

TEST(ParseSynthesisTest, RepairedAndSalvagedOutputIsMarked) {
  auto plain = ParseSynthesis("The answer is 3.", kRel);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->answer, "The answer is 3.");
  ASSERT_FALSE(plain->warnings.empty());
  EXPECT_NE(plain->warnings[0].find("salvaged from plain text"), std::string::npos);
  auto comma = ParseSynthesis(R"({"answer": "x", "explanation": "e",})", kRel);
  ASSERT_TRUE(comma.ok()) << comma.status().ToString();
  EXPECT_EQ(comma->answer, "x");
  ASSERT_EQ(comma->warnings.size(), 1u);
  EXPECT_NE(comma->warnings[0].find("trailing comma removed"), std::string::npos);
  // Valid JSON is read as before: no warning.
  auto strict = ParseSynthesis(R"({"answer": "x", "explanation": "e", "key_evidence": []})", kRel);
  ASSERT_TRUE(strict.ok());
  EXPECT_TRUE(strict->warnings.empty());
}

TEST(ExtractJsonValueTest, HonorsStringsAndEscapes) {
  EXPECT_EQ(ExtractJsonValue(R"(x {"a": "}\"{"} y)", 0), R"({"a": "}\"{"})");
  EXPECT_EQ(ExtractJsonValue("[1, [2]] tail", 0), "[1, [2]]");
  EXPECT_FALSE(ExtractJsonValue("{\"a\": 1", 0).has_value());
  EXPECT_FALSE(ExtractJsonValue("plain", 0).has_value());
}

}  // namespace
}  // namespace corgi::pipeline
