#include "corgi/core/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <thread>

#include "core/temp_dir_test_util.h"
#include "corgi/core/mapped_file.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

class ReadFileTest : public ::testing::Test {
 protected:
  test_util::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

TEST_F(ReadFileTest, ReadsAWholeFile) {
  const std::string path = dir_ + "/a.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "hello").ok());
  StatusOr<std::string> text = ReadRegularFile(path, 100, "config");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "hello");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  StatusOr<std::string> empty = ReadRegularFile(path, 100, "config");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST_F(ReadFileTest, RefusesAFileOverTheCap) {
  const std::string path = dir_ + "/big.txt";
  ASSERT_TRUE(WriteFileAtomically(path, std::string(101, 'x')).ok());
  StatusOr<std::string> text = ReadRegularFile(path, 100, "replay file");
  EXPECT_EQ(text.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(text.status(), "replay file '" + path + "' is 101 bytes, more than the limit of 100"))
      << text.status().message();
  EXPECT_TRUE(ReadRegularFile(path, 101, "replay file").ok());
}

TEST_F(ReadFileTest, NamesMissingFilesDirectoriesAndSymlinkLoops) {
  Status missing = ReadRegularFile(dir_ + "/none.png", 100, "image").status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing, "image '" + dir_ + "/none.png' does not exist")) << missing.message();

  Status directory = ReadRegularFile(dir_, 100, "image").status();
  EXPECT_EQ(directory.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(directory, "is a directory, not a regular file")) << directory.message();

  // a -> b -> a: a loop, not a missing file.
  fs::create_symlink(dir_ + "/b", dir_ + "/a");
  fs::create_symlink(dir_ + "/a", dir_ + "/b");
  Status loop = ReadRegularFile(dir_ + "/a", 100, "image").status();
  EXPECT_EQ(loop.code(), StatusCode::kIoError);
  EXPECT_TRUE(Contains(loop, "symlink loop")) << loop.message();
  EXPECT_TRUE(Contains(ReadFileToString(dir_ + "/a").status(), "symlink loop"));
  EXPECT_TRUE(Contains(MappedFile::Open(dir_ + "/a").status(), "symlink loop"));
}

// A FIFO given as a file used to block open() for ever (waiting for a writer). Each reader
// runs on a thread so that a regression fails after 5 s instead of hanging the test.
TEST_F(ReadFileTest, RefusesAFifoWithoutBlocking) {
  const std::string fifo = dir_ + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto expect_refused_quickly = [&](std::function<Status()> read, const char* name) {
    std::future<Status> done = std::async(std::launch::async, read);
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << name << " blocked on a FIFO";
      int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // releases the blocked open()
      if (fd >= 0) ::close(fd);
      return;
    }
    Status s = done.get();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_TRUE(Contains(s, "is a FIFO (named pipe), not a regular file")) << name << ": " << s.message();
  };
  expect_refused_quickly([&] { return ReadRegularFile(fifo, 100, "image").status(); }, "ReadRegularFile");
  expect_refused_quickly([&] { return ReadFileToString(fifo).status(); }, "ReadFileToString");
  expect_refused_quickly([&] { return MappedFile::Open(fifo).status(); }, "MappedFile::Open");
}

// A file truncated and rewritten by another thread while being read: every read either
// returns one whole version or reports the change; nothing crashes (a mapping would SIGBUS).
TEST_F(ReadFileTest, SurvivesAFileShrinkingWhileRead) {
  const std::string path = dir_ + "/changing.bin";
  const std::string full(1 << 20, 'x');
  ASSERT_TRUE(WriteFileAtomically(path, full).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) {
      ::truncate(path.c_str(), 0);
      ::truncate(path.c_str(), static_cast<off_t>(full.size()));
    }
  });
  int whole = 0, changed = 0;
  for (int i = 0; i < 300; ++i) {
    StatusOr<std::string> text = ReadRegularFile(path, 2 << 20, "image");
    if (text.ok()) {
      ++whole;
      EXPECT_TRUE(text->size() == full.size() || text->empty());
    } else {
      ++changed;
      EXPECT_EQ(text.status().code(), StatusCode::kIoError) << text.status().message();
      EXPECT_TRUE(Contains(text.status(), "changed size while being read")) << text.status().message();
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(whole + changed, 300);
}

}  // namespace
}  // namespace corgi
