// DecodeImageFile on hostile files (issue 11): a file truncated while it is being read
// (it used to be mmap'd: SIGBUS), a FIFO (open() used to block for ever), a symlink loop
// (was reported as missing) and a directory. Each must end quickly with a clear error.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "core/temp_dir_test_util.h"
#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/image/encode.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

class DecodeFileTest : public ::testing::Test {
 protected:
  test_util::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

std::string Png(int64_t height, int64_t width) {
  RgbImage img = RgbImage::Make(height, width);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 7);
  StatusOr<std::string> png = EncodePng(img);
  return png.ok() ? *png : "";
}

// Another thread truncates the file and writes it back while it is decoded again and
// again: every decode returns the image or a clean error, never a signal.
TEST_F(DecodeFileTest, FileTruncatedWhileReadIsNotACrash) {
  const std::string path = dir_ + "/shrinking.png";
  const std::string png = Png(512, 512);
  ASSERT_FALSE(png.empty());
  ASSERT_TRUE(WriteFileAtomically(path, png).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) {
      int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
      if (fd < 0) continue;
      ssize_t n = ::write(fd, png.data(), png.size());
      (void)n;
      ::close(fd);
    }
  });
  int decoded = 0, failed = 0;
  for (int i = 0; i < 100; ++i) {
    StatusOr<RgbImage> img = DecodeImageFile(path);
    if (img.ok()) {
      ++decoded;
      EXPECT_EQ(img->width, 512);
    } else {
      ++failed;
      EXPECT_NE(img.status().message().find(path), std::string::npos) << img.status().message();
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(decoded + failed, 100);
}

TEST_F(DecodeFileTest, FifoIsRefusedAtOnce) {
  const std::string fifo = dir_ + "/image.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::future<Status> done =
      std::async(std::launch::async, [&] { return DecodeImageFile(fifo).status(); });
  if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // releases a blocked open()
    if (fd >= 0) ::close(fd);
    FAIL() << "DecodeImageFile blocked on a FIFO";
  }
  Status s = done.get();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'" + fifo + "' is a FIFO (named pipe), not a regular file"),
            std::string::npos)
      << s.message();
}

TEST_F(DecodeFileTest, SymlinkLoopAndDirectoryAreNamed) {
  fs::create_symlink(dir_ + "/b.png", dir_ + "/a.png");
  fs::create_symlink(dir_ + "/a.png", dir_ + "/b.png");
  Status loop = DecodeImageFile(dir_ + "/a.png").status();
  EXPECT_NE(loop.code(), StatusCode::kNotFound);
  EXPECT_NE(loop.message().find("symlink loop"), std::string::npos) << loop.message();
  Status directory = DecodeImageFile(dir_).status();
  EXPECT_NE(directory.message().find("is a directory, not a regular file"), std::string::npos)
      << directory.message();
  EXPECT_EQ(DecodeImageFile(dir_ + "/none.png").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corgi
