#include "corgi/tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace corgi {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii text, long enough to use the 8-byte path"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\xA4\x97"));  // é 中 🤗
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));                             // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));                         // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));                     // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xE4\xB8"));                          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

// Expected strings are Python's bytes.decode("utf-8", "replace") of the same bytes
// (the maximal-subpart rule, also Rust's from_utf8_lossy used by HF's decoder).
TEST(Utf8Test, SanitizeReplacesMaximalSubparts) {
  EXPECT_EQ(Utf8Sanitize("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            std::string("a") + Repeat(kFffd, 3) + "b" + kFffd + "c" + Repeat(kFffd, 2) + "d");
  EXPECT_EQ(Utf8Sanitize("\xED\xA0\x80x\xC0\xAF\xF4\x90\x80\x80\xE0\x80\x80"),
            Repeat(kFffd, 3) + "x" + Repeat(kFffd, 9));
  EXPECT_EQ(Utf8Sanitize("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(Utf8Sanitize("\xF0\x9F\xA4"), kFffd);  // one truncated sequence, one U+FFFD
}

TEST(Utf8Test, CompletePrefixHoldsBackOnlyTruncatedCharacters) {
  EXPECT_EQ(Utf8CompletePrefixLength(""), 0u);
  EXPECT_EQ(Utf8CompletePrefixLength("abc"), 3u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xF0\x9F\xA4"), 2u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xF0\x9F"), 2u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xF0"), 2u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xF0\x9F\xA4\x97"), 6u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xE4\xB8"), 2u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xC3"), 2u);
  // Invalid bytes are not held back: they can never become valid.
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xFF"), 3u);
  EXPECT_EQ(Utf8CompletePrefixLength("ab\xE0\x80"), 4u);  // E0 80 is never valid
  EXPECT_EQ(Utf8CompletePrefixLength("ab\x80\x80"), 4u);
}

TEST(Utf8Test, AppendUtf8) {
  std::string s;
  AppendUtf8(U'A', &s);
  AppendUtf8(0xE9, &s);
  AppendUtf8(0x4E2D, &s);
  AppendUtf8(0x1F917, &s);
  EXPECT_EQ(s, "A\xC3\xA9\xE4\xB8\xAD\xF0\x9F\xA4\x97");
}

}  // namespace
}  // namespace corgi
