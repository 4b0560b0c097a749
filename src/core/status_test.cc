#include "corgi/core/status.h"

#include <gtest/gtest.h>

#include "corgi/core/log.h"

namespace corgi {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  CORGI_ASSIGN_OR_RETURN(int h, Half(x));
  CORGI_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = DataLossError("truncated");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.ToString(), "DataLoss: truncated");
  EXPECT_EQ(s.WithContext("a.safetensors").message(), "a.safetensors: truncated");
}

TEST(StatusOr, PropagatesThroughMacros) {
  EXPECT_EQ(*Quarter(8), 2);
  StatusOr<int> bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "odd: 3");
}

TEST(StatusOrDeathTest, ValueOnErrorAborts) {
  StatusOr<int> bad = Half(1);
  EXPECT_DEATH((void)bad.value(), "value\\(\\) on error");
}

TEST(CheckDeathTest, ReportsConditionAndMessage) {
  EXPECT_DEATH(CORGI_CHECK(1 == 2) << "extra " << 42, "CHECK failed: 1 == 2 extra 42");
}

TEST(Log, ParsesLevels) {
  LogLevel level;
  EXPECT_TRUE(ParseLogLevel("DEBUG", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("warn", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("loud", &level));
  SetLogLevel(LogLevel::kError);
  EXPECT_EQ(CurrentLogLevel(), LogLevel::kError);
}

}  // namespace
}  // namespace corgi
