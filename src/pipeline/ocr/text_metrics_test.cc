#include "pipeline/ocr/text_metrics.h"

#include <gtest/gtest.h>

namespace corgi::pipeline {
namespace {

TEST(EditDistanceTest, TextbookValues) {
  EXPECT_EQ(EditDistance(U"kitten", U"sitting"), 3);
  EXPECT_EQ(EditDistance(U"sitting", U"kitten"), 3);
  EXPECT_EQ(EditDistance(U"flaw", U"lawn"), 2);
  EXPECT_EQ(EditDistance(U"intention", U"execution"), 5);
  EXPECT_EQ(EditDistance(U"", U"abc"), 3);
  EXPECT_EQ(EditDistance(U"abc", U""), 3);
  EXPECT_EQ(EditDistance(U"", U""), 0);
  EXPECT_EQ(EditDistance(U"same", U"same"), 0);
}

TEST(EditDistanceTest, Words) {
  std::vector<std::u32string> a = {U"the", U"quick", U"brown", U"fox"};
  std::vector<std::u32string> b = {U"the", U"brown", U"fax"};
  EXPECT_EQ(EditDistance(a, b), 2);  // delete "quick", substitute "fox"
}

TEST(NormalizeTest, WhitespaceRunsCollapseAndTrim) {
  EXPECT_EQ(NormalizeForComparison("  a\t\n\n b \r\n"), U"a b");
  EXPECT_EQ(NormalizeForComparison("a\u00a0\u2003b\u2028c"), U"a b c");  // NBSP, em space, LS
  EXPECT_EQ(NormalizeForComparison(" \n\t "), U"");
}

TEST(NormalizeTest, CodePointsNfcAndInvalidBytes) {
  EXPECT_EQ(NormalizeForComparison("\xc3\xbc"), U"\u00fc");   // ü precomposed
  EXPECT_EQ(NormalizeForComparison("u\xcc\x88"), U"\u00fc");  // u + U+0308 composes
  EXPECT_EQ(NormalizeForComparison("a\xff"
                                   "b"),
            U"a\ufffdb");
  EXPECT_EQ(NormalizeForComparison("Fox."), U"Fox.");  // no case folding or stripping
}

TEST(SplitWordsTest, Splits) {
  auto words = SplitWords(NormalizeForComparison(" one  two\nthree "));
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[2], U"three");
  EXPECT_TRUE(SplitWords(U"").empty());
}

TEST(CompareTextTest, CerAndWer) {
  TextErrorRates r = CompareText("the quick\nbrown fox", "the quick brown fax");
  EXPECT_EQ(r.reference_chars, 19);
  EXPECT_EQ(r.char_edits, 1);
  EXPECT_DOUBLE_EQ(r.cer, 1.0 / 19.0);
  EXPECT_EQ(r.reference_words, 4);
  EXPECT_EQ(r.word_edits, 1);
  EXPECT_DOUBLE_EQ(r.wer, 0.25);
}

TEST(CompareTextTest, UmlautIsOneCharacterNotTwoBytes) {
  // Tesseract's eng model reads "über" as "iiber": one substitution plus one insertion.
  TextErrorRates r = CompareText(
      "\xc3\xbc"
      "ber",
      "iiber");
  EXPECT_EQ(r.reference_chars, 4);
  EXPECT_EQ(r.char_edits, 2);
}

TEST(CompareTextTest, EmptyReference) {
  EXPECT_DOUBLE_EQ(CompareText("", "").cer, 0.0);
  EXPECT_DOUBLE_EQ(CompareText("", "").wer, 0.0);
  EXPECT_DOUBLE_EQ(CompareText(" ", "x").cer, 1.0);
  EXPECT_DOUBLE_EQ(CompareText("ab", "").cer, 1.0);
}

}  // namespace
}  // namespace corgi::pipeline
