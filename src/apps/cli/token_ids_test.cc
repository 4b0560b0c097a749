#include "apps/cli/token_ids.h"

#include <gtest/gtest.h>

#include <string>

namespace corgi::cli {
namespace {

TEST(ParseTokenIds, ReadsAnArrayOfInt32) {
  StatusOr<std::vector<int32_t>> ids = ParseTokenIds("[9707, 1879]\n");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<int32_t>{9707, 1879}));
  EXPECT_FALSE(ParseTokenIds("{}").ok());
  EXPECT_FALSE(ParseTokenIds("[1, 2").ok());
  EXPECT_NE(ParseTokenIds("[4294967296]").status().message().find("not a token id: 4294967296"),
            std::string::npos);
}

// Regression: `[[[…]]]` 100,000 deep crashed corgi tokenize --decode (stack overflow while
// printing the offending element). Now refused before parsing, with the limit named.
TEST(ParseTokenIds, RefusesDeepNesting) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  StatusOr<std::vector<int32_t>> ids = ParseTokenIds(deep);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ids.status().message().find("JSON nested deeper than 64 levels"), std::string::npos)
      << ids.status().message();
  // An element nested within the limit is still just "not a token id", shown cut short.
  StatusOr<std::vector<int32_t>> nested = ParseTokenIds("[" + std::string(60, '[') + std::string(60, ']') + "]");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("not a token id: [[[["), std::string::npos);
  EXPECT_LT(nested.status().message().size(), 80u);
}

}  // namespace
}  // namespace corgi::cli
