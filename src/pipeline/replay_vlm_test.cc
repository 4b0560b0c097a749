#include "corgi/pipeline/replay_vlm.h"

#include <gtest/gtest.h>

namespace corgi::pipeline {
namespace {

TEST(ReplayVlmTest, MatchesPhaseAndStepInRecordedOrder) {
  auto vlm = ReplayVlm::FromJson(R"({"completions": [
      {"phase": "caption", "step": 2, "output": "first"},
      {"phase": "reasoning", "output": "r"},
      {"phase": "caption", "step": 2, "output": "second", "finish_reason": "length"}]})",
                                 "inline", ReplayOptions{});
  ASSERT_TRUE(vlm.ok()) << vlm.status().ToString();
  Request req;
  EXPECT_EQ((*vlm)->Generate(req, {"reasoning", 0})->text, "r");
  EXPECT_EQ((*vlm)->Generate(req, {"caption", 2})->text, "first");
  StatusOr<Completion> second = (*vlm)->Generate(req, {"caption", 2});
  EXPECT_EQ(second->text, "second");
  EXPECT_EQ(second->finish, FinishReason::kLength);
  EXPECT_EQ((*vlm)->remaining(), 0u);
  StatusOr<Completion> missing = (*vlm)->Generate(req, {"caption", 2});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("\"caption\" step 2"), std::string::npos);
  (*vlm)->Rewind();
  EXPECT_EQ((*vlm)->remaining(), 3u);
}

TEST(ReplayVlmTest, ReadsTracesAndGroundingSpace) {
  auto vlm = ReplayVlm::FromJson(R"({"grounding_space": "resized_input_pixels",
      "calls": [{"phase": "synthesis", "step": 0, "raw_output": "{}", "generated_tokens": 7}]})",
                                 "trace.json", ReplayOptions{});
  ASSERT_TRUE(vlm.ok()) << vlm.status().ToString();
  EXPECT_EQ((*vlm)->grounding_space(), GroundingSpace::kResizedInputPixels);
  EXPECT_EQ((*vlm)->Generate(Request{}, {"synthesis", 0})->timings.generated_tokens, 7);
  // Qwen2.5-VL smart_resize (factor 28): 600x800 -> 588x812.
  auto hw = (*vlm)->ModelInputSize(600, 800);
  ASSERT_TRUE(hw.ok());
  EXPECT_EQ(hw->first, 588);
  EXPECT_EQ(hw->second, 812);
  ReplayOptions forced;
  forced.grounding_space = GroundingSpace::kRelative1000;
  auto f = ReplayVlm::FromJson(R"({"grounding_space": "resized_input_pixels", "calls": []})", "t",
                               forced);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->grounding_space(), GroundingSpace::kRelative1000);
}

TEST(ReplayVlmTest, MalformedFilesAreClearErrors) {
  for (const char* bad : {"not json", R"({"other": []})", R"({"completions": [{"output": "x"}]})",
                          R"({"completions": [{"phase": "reasoning"}]})",
                          R"({"completions": [{"phase": "r", "step": "one", "output": ""}]})",
                          R"({"grounding_space": "pixels", "completions": []})"}) {
    auto vlm = ReplayVlm::FromJson(bad, "bad.json", ReplayOptions{});
    ASSERT_FALSE(vlm.ok()) << bad;
    EXPECT_EQ(vlm.status().code(), StatusCode::kDataLoss) << bad;
    EXPECT_NE(vlm.status().message().find("bad.json"), std::string::npos);
  }
  EXPECT_EQ(ReplayVlm::FromFile("/nonexistent/replay.json", {}).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace corgi::pipeline
