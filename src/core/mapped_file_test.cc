#include "corgi/core/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

namespace corgi {
namespace {

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("corgi_core_") + name)).string();
}

TEST(MappedFile, MapsContents) {
  std::string path = TempPath("map.bin");
  ASSERT_TRUE(WriteFileAtomically(path, "hello world").ok());
  StatusOr<MappedFile> f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->view(), "hello world");
  MappedFile moved = std::move(*f);
  EXPECT_EQ(moved.size(), 11u);
  std::remove(path.c_str());
}

TEST(MappedFile, EmptyFile) {
  std::string path = TempPath("empty.bin");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  StatusOr<MappedFile> f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 0u);
  std::remove(path.c_str());
}

TEST(MappedFile, Errors) {
  EXPECT_EQ(MappedFile::Open("/nonexistent/corgi").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MappedFile::Open("/tmp").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFileToString("/nonexistent/corgi").status().code(), StatusCode::kNotFound);
}

TEST(WriteFileAtomically, ReplacesAndLeavesNoTemp) {
  std::string path = TempPath("atomic.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(*ReadFileToString(path), "two");
  for (auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    EXPECT_EQ(e.path().string().find(path + ".tmp"), std::string::npos);
  EXPECT_FALSE(WriteFileAtomically("/nonexistent/dir/x", "y").ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace corgi
