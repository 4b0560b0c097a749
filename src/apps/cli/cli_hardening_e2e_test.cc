// End to end on the built `corgi` binary: hostile input to `tokenize` and `ask` ends
// quickly with exit status 1 or 2 and a message, never a signal or a hang (issue 11).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "apps/cli/process_test_util.h"
#include "corgi/core/mapped_file.h"
#include "io/io_test_util.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;
using io_test::TempDir;

const std::string kCorgi = std::string(CORGI_BINARY_DIR) + "/src/apps/corgi";
const std::string kImage = std::string(CORGI_SHARED_DATA) + "/images/qwen3_vl_jax_256/horses.png";
const std::string kTokenizer =
    std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen3-derived/tokenizer.json";

using test_process::ProcessResult;
using test_process::Slurp;
using test_process::WriteText;

// Runs corgi with `args` and `stdin_text` on stdin; killed after `limit`.
// Runs corgi with `args` and `stdin_text` on stdin; killed after `limit`.
ProcessResult Corgi(const std::vector<std::string>& args, const std::string& io_dir,
                    const std::string& stdin_text = "",
                    std::chrono::seconds limit = std::chrono::seconds(20)) {
  return test_process::Run(kCorgi, args, io_dir, stdin_text, limit);
}

class CliHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kCorgi)) << kCorgi;
    replay_ = dir_.path() + "/replay.json";
    WriteText(replay_, R"({"completions": []})");
  }
  // ask with a replay file (never reached by these tests' failures) and `extra` flags.
  ProcessResult Ask(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"ask", "--replay", replay_, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Corgi(args, dir_.path());
  }
  TempDir dir_;
  std::string replay_;
};

// Regression: `[[[…]]]` 100,000 deep on stdin crashed tokenize --decode (SIGSEGV).
TEST_F(CliHardeningTest, TokenizeDecodeOfDeepJsonFails) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ProcessResult r = Corgi({"tokenize", "-m", kTokenizer, "--decode"}, dir_.path(), deep);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("JSON nested deeper than 64 levels"), std::string::npos) << r.err;
}

// User text is plain text unless --parse-special: "<|im_end|>" typed in is not id 151645.
TEST_F(CliHardeningTest, TokenizeParsesSpecialTokensOnlyWhenAsked) {
  ProcessResult plain = Corgi({"tokenize", "-m", kTokenizer}, dir_.path(), "<|im_end|>");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("151645"), std::string::npos) << plain.out;
  EXPECT_GT(std::count(plain.out.begin(), plain.out.end(), ','), 1) << plain.out;
  ProcessResult special =
      Corgi({"tokenize", "-m", kTokenizer, "--parse-special"}, dir_.path(), "<|im_end|>");
  ASSERT_EQ(special.exit_code, 0) << special.err;
  EXPECT_EQ(special.out, "[151645]\n");
  ProcessResult help = Corgi({"tokenize", "--help"}, dir_.path());
  EXPECT_NE((help.out + help.err).find("plain text"), std::string::npos) << help.out << help.err;
}

TEST_F(CliHardeningTest, AskNamesAnEmptyOrBlankQuestion) {
  ProcessResult empty = Ask({"--image", kImage, "--question", ""});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("--question is empty"), std::string::npos) << empty.err;
  ProcessResult blank = Ask({"--image", kImage, "--question", " \t\n "});
  EXPECT_EQ(blank.exit_code, 2);
  EXPECT_NE(blank.err.find("--question holds only whitespace"), std::string::npos) << blank.err;
  ProcessResult missing = Ask({"--image", kImage});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--image and --question are required"), std::string::npos)
      << missing.err;
}

// An --out below a regular file cannot be created, whatever the user's rights (the tests
// may run as root): ask says so before loading anything.
TEST_F(CliHardeningTest, AskFindsAnUnwritableOutFirst) {
  WriteText(dir_.path() + "/file", "x");
  ProcessResult r = Ask({"--image", kImage, "--question", "q", "--out", dir_.path() + "/file/sub"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: --out: cannot create '" + dir_.path() + "/file/sub'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("replay"), std::string::npos) << r.err;  // nothing was run
}

// Regression: a FIFO as the image blocked ask in open() for ever; a symlink loop was
// reported as a missing file.
TEST_F(CliHardeningTest, AskRefusesAFifoAndNamesASymlinkLoop) {
  const std::string fifo = dir_.path() + "/fifo.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = Corgi({"ask", "--replay", replay_, "--image", fifo, "--question", "q"},
                          dir_.path(), "", std::chrono::seconds(10));
  EXPECT_FALSE(r.timed_out) << "ask blocked on a FIFO";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is a FIFO (named pipe), not a regular file"), std::string::npos) << r.err;

  fs::create_symlink(dir_.path() + "/b.png", dir_.path() + "/a.png");
  fs::create_symlink(dir_.path() + "/a.png", dir_.path() + "/b.png");
  ProcessResult loop = Ask({"--image", dir_.path() + "/a.png", "--question", "q"});
  EXPECT_EQ(loop.exit_code, 1);
  EXPECT_NE(loop.err.find("symlink loop"), std::string::npos) << loop.err;
}

}  // namespace
}  // namespace corgi::cli
