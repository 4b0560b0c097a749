// FlagParser: short forms and aliases of flags, placeholders in the help.
#include "apps/cli/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corgi/core/thread_pool.h"

namespace corgi::cli {
namespace {

// Parses `args` (argv[0] added) with `flags`.
bool ParseArgs(FlagParser* flags, std::vector<std::string> args) {
  args.insert(args.begin(), "cmd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return flags->Parse(static_cast<int>(argv.size()), argv.data());
}

TEST(FlagsTest, ShortAliasesSetTheLongFlag) {
  FlagParser flags("cmd", "test");
  std::string* model = flags.String("model", "", "model", "DIR");
  flags.Alias("m", "model");
  int64_t* threads = flags.Int("threads", 0, "threads");
  flags.Alias("t", "threads");
  int64_t* ctx = flags.Int("ctx-size", 8192, "context");
  flags.Alias("c", "ctx-size");
  bool* quiet = flags.Bool("quiet", "quiet");
  flags.Alias("q", "quiet");
  ASSERT_TRUE(ParseArgs(&flags, {"-m", "models/tiny", "-t=3", "-c", "4096", "-q", "-", "-5"}));
  EXPECT_EQ(*model, "models/tiny");
  EXPECT_EQ(*threads, 3);
  EXPECT_EQ(*ctx, 4096);
  EXPECT_TRUE(*quiet);
  EXPECT_TRUE(flags.WasSet("model"));
  EXPECT_TRUE(flags.WasSet("ctx-size"));
  // "-" and "-5" are positional, not flags.
  EXPECT_EQ(flags.positional(), (std::vector<std::string>{"-", "-5"}));
}

TEST(FlagsTest, LongAliasAndUnknownShortFlag) {
  FlagParser flags("cmd", "test");
  int64_t* ctx = flags.Int("ctx-size", 8192, "context");
  flags.Alias("max-context", "ctx-size");
  ASSERT_TRUE(ParseArgs(&flags, {"--max-context=2048"}));
  EXPECT_EQ(*ctx, 2048);
  EXPECT_TRUE(flags.WasSet("ctx-size"));

  FlagParser other("cmd", "test");
  other.String("model", "", "model");
  EXPECT_FALSE(ParseArgs(&other, {"-x", "1"}));
  EXPECT_EQ(other.exit_code(), 2);
  FlagParser missing("cmd", "test");
  missing.String("model", "", "model");
  missing.Alias("m", "model");
  EXPECT_FALSE(ParseArgs(&missing, {"-m"}));
  EXPECT_EQ(missing.exit_code(), 2);
}

TEST(FlagsTest, LongFlagsStillWork) {
  FlagParser flags("cmd", "test");
  std::string* model = flags.String("model", "", "model");
  flags.Alias("m", "model");
  double* temp = flags.Double("temperature", 0, "t");
  ASSERT_TRUE(ParseArgs(&flags, {"--model", "a/b", "--temperature=0.7", "--", "-m"}));
  EXPECT_EQ(*model, "a/b");
  EXPECT_DOUBLE_EQ(*temp, 0.7);
  EXPECT_EQ(flags.positional(), (std::vector<std::string>{"-m"}));
}

// Issue 11, defect 3: --threads 100000 reached std::thread and aborted. Now the flag
// parser refuses it with the bound.
TEST(FlagsTest, ThreadsAboveTheCapAreRefusedAtParseTime) {
  FlagParser flags("cmd", "test");
  int64_t* threads = AddThreadsFlag(&flags, "threads");
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(ParseArgs(&flags, {"--threads", "100000"}));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(flags.exit_code(), 2);
  EXPECT_NE(err.find("--threads must be in [0, " + std::to_string(MaxThreadCount()) + "]"), std::string::npos) << err;
  EXPECT_NE(err.find("got 100000"), std::string::npos) << err;

  FlagParser negative("cmd", "test");
  AddThreadsFlag(&negative, "threads");
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(ParseArgs(&negative, {"-t=-1"}));
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("got -1"), std::string::npos);

  FlagParser fine("cmd", "test");
  threads = AddThreadsFlag(&fine, "threads");
  ASSERT_TRUE(ParseArgs(&fine, {"-t", std::to_string(MaxThreadCount())}));
  EXPECT_EQ(*threads, static_cast<int64_t>(MaxThreadCount()));
}

}  // namespace
}  // namespace corgi::cli
