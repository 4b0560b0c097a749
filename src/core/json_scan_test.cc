#include "corgi/core/json_scan.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace corgi {
namespace {

std::vector<int> Depths(const std::string& text) {
  JsonDepthScanner scanner;
  std::vector<int> depths;
  for (char c : text) {
    scanner.Feed(c);
    depths.push_back(scanner.depth());
  }
  return depths;
}

TEST(JsonDepthScanner, CountsBracketsOutsideStrings) {
  EXPECT_EQ(Depths("{[]}"), (std::vector<int>{1, 2, 1, 0}));
  EXPECT_EQ(Depths("{\"a\":[1]}").back(), 0);
  EXPECT_EQ(Depths("]").back(), -1);
}

TEST(JsonDepthScanner, IgnoresBracketsInStringsAndEscapes) {
  // The string holds "{", an escaped quote and "[": none of them counts.
  const std::string text = R"({"k":"{\"[","x":1})";
  std::vector<int> depths = Depths(text);
  EXPECT_EQ(depths.back(), 0);
  for (size_t i = 0; i + 1 < depths.size(); ++i) EXPECT_EQ(depths[i], 1) << "byte " << i;

  JsonDepthScanner scanner;
  for (char c : std::string(R"("a\\")")) scanner.Feed(c);  // escaped backslash closes it
  EXPECT_FALSE(scanner.in_string());
  EXPECT_EQ(scanner.Feed('{'), JsonDepthScanner::Event::kOpen);
}

TEST(JsonDepthScanner, ReportsEvents) {
  JsonDepthScanner scanner;
  EXPECT_EQ(scanner.Feed('x'), JsonDepthScanner::Event::kNone);
  EXPECT_EQ(scanner.Feed('['), JsonDepthScanner::Event::kOpen);
  EXPECT_EQ(scanner.Feed('"'), JsonDepthScanner::Event::kNone);
  EXPECT_EQ(scanner.Feed(']'), JsonDepthScanner::Event::kNone);
  EXPECT_EQ(scanner.Feed('"'), JsonDepthScanner::Event::kNone);
  EXPECT_EQ(scanner.Feed(']'), JsonDepthScanner::Event::kClose);
  EXPECT_EQ(scanner.depth(), 0);
}

TEST(JsonNestingDepth, MeasuresTheDeepestBracket) {
  EXPECT_EQ(JsonNestingDepth("42"), 0);
  EXPECT_EQ(JsonNestingDepth("{\"a\": [1, [2]], \"b\": {}}"), 3);
  EXPECT_EQ(JsonNestingDepth("[\"[[[[\"]"), 1);  // brackets in strings do not count
  EXPECT_EQ(JsonNestingDepth(std::string(1000, '['), 9), 10);  // stops early
}

// The regression for deep JSON: 100,000 nested arrays are refused before any parser sees
// them, with the limit in the message.
TEST(CheckJsonDepth, RefusesDeepNestingWithTheLimit) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Status s = CheckJsonDepth(deep, "replay.json");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("replay.json: JSON nested deeper than 64 levels"), std::string::npos)
      << s.message();
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(CheckJsonDepth(ok, "x").ok());
  EXPECT_FALSE(CheckJsonDepth("[" + ok + "]", "x").ok());
  EXPECT_TRUE(CheckJsonDepth("[[[]]]", "x", 3).ok());
  EXPECT_FALSE(CheckJsonDepth("[[[[]]]]", "x", 3).ok());
}

}  // namespace
}  // namespace corgi
