#include "pipeline/model_text.h"

#include <gtest/gtest.h>

namespace corgi::pipeline {
namespace {

TEST(ModelTextTest, FindTagIgnoresCase) {
  EXPECT_EQ(FindTag("a <Thinking> b", "<THINKING>"), 2u);
  EXPECT_EQ(FindTag("<think><thinking>", "<thinking>"), 7u);
  EXPECT_EQ(FindTag("abc", "<x>"), std::string::npos);
  EXPECT_EQ(FindTag("abc", "b", 5), std::string::npos);
}

TEST(ModelTextTest, StripThinkBlocks) {
  ThinkStripped a = StripThinkBlocks("<think>t1</think>A <THINK>t2</Think>B");
  EXPECT_EQ(a.text, "A B");
  EXPECT_EQ(a.thought, "t1\n\nt2");
  EXPECT_TRUE(a.stripped);
  EXPECT_FALSE(a.unterminated);
  ThinkStripped opened = StripThinkBlocks("thought first</think>\nanswer");
  EXPECT_EQ(opened.text, "answer");
  EXPECT_EQ(opened.thought, "thought first");
  ThinkStripped cut = StripThinkBlocks("<think>never closed");
  EXPECT_TRUE(cut.unterminated);
  EXPECT_EQ(cut.text, "");
  ThinkStripped plain = StripThinkBlocks("  just text ");
  EXPECT_FALSE(plain.stripped);
  EXPECT_EQ(plain.text, "just text");
}

TEST(ModelTextTest, SplitLeavesOutputThatStartsWithItsAnswer) {
  // A grammar's output starts with its JSON: a think tag inside a string stays.
  const std::string json = R"({"answer": "<think>x</think>"})";
  EXPECT_EQ(SplitThoughtBeforeAnswer(json, 0).text, json);
  SplitThought s = SplitThoughtBeforeAnswer("<think>a [b]</think>{\"c\": 1}", 10);
  EXPECT_EQ(s.text, "{\"c\": 1}");
  EXPECT_EQ(s.thought, "a [b]");
  // The JSON only inside the block: just the tags go.
  EXPECT_EQ(SplitThoughtBeforeAnswer("<think>{\"c\": 1}</think>", 7).text, "{\"c\": 1}");
}

}  // namespace
}  // namespace corgi::pipeline
