#include "tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace corgi::internal {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string_view> pieces;
  SplitQwen2(text, &pieces);
  return std::vector<std::string>(pieces.begin(), pieces.end());
}

using V = std::vector<std::string>;

// Expected pieces: Hugging Face tokenizers 0.23.3, pre_tokenizer.pre_tokenize_str on the
// Qwen3 tokenizer.json (byte-level output mapped back to text).
TEST(PretokenizerTest, MatchesHuggingFace) {
  EXPECT_EQ(Split("Hello, y'all! How're you \xF0\x9F\x98\x81 ?"),
            (V{"Hello", ",", " y", "'all", "!", " How", "'re", " you", " \xF0\x9F\x98\x81", " ?"}));
  EXPECT_EQ(Split("I've 'told he's there, 'RE you sure? '\xC5\xBF"
                  "a"),
            (V{"I", "'ve", " '", "told", " he", "'s", " there", ",", " '", "RE", " you", " sure",
               "?", " '",
               "\xC5\xBF"
               "a"}));
  EXPECT_EQ(Split("   Hello\n\n  world  "), (V{"  ", " Hello", "\n\n", " ", " world", "  "}));
  // U+0085 is \s for Oniguruma; U+180E (Mongolian vowel separator) is not.
  EXPECT_EQ(Split("a\xC2\x85"
                  "b \xC2\x85\xC2\x85x  \xE1\xA0\x8E\xE1\xA0\x8Ey"),
            (V{"a",
               "\xC2\x85"
               "b",
               " \xC2\x85", "\xC2\x85x", " ", " \xE1\xA0\x8E\xE1\xA0\x8E", "y"}));
  EXPECT_EQ(Split(" \t\r\n\r\n\tx 3.14 \xD9\xA1\xD9\xA2"),
            (V{" \t\r\n\r\n", "\tx", " ", "3", ".", "1", "4", " ", "\xD9\xA1", "\xD9\xA2"}));
  EXPECT_EQ(Split("\xE3\x80\x80\xE3\x80\x80x!!!\n\n\n (a)"),
            (V{"\xE3\x80\x80", "\xE3\x80\x80x", "!!!\n\n\n", " (", "a", ")"}));
  EXPECT_EQ(Split("x\r\n\r"), (V{"x", "\r\n\r"}));
  EXPECT_EQ(Split("ab  "), (V{"ab", "  "}));
  // 'ſ folds to 's under (?i), so it is a contraction.
  EXPECT_EQ(Split("'\xC5\xBF x"), (V{"'\xC5\xBF", " x"}));
}

TEST(PretokenizerTest, EmptyAndConcatenation) {
  EXPECT_TRUE(Split("").empty());
  const std::string text = "Mixed text: 12 apples, \xE4\xB8\xAD\xE6\x96\x87\n\n\tand 'em   end ";
  std::string joined;
  for (const std::string& p : Split(text)) {
    EXPECT_FALSE(p.empty());
    joined += p;
  }
  EXPECT_EQ(joined, text);
}

TEST(PretokenizerTest, RegexConstantIsQwen2s) {
  // As written in Qwen's tokenizer.json (and spec §7).
  EXPECT_EQ(std::string(kQwen2PretokenizerRegex),
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
            "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
}

}  // namespace
}  // namespace corgi::internal
