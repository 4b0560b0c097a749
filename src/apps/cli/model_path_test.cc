// ResolveModelPath: directories as given, Hugging Face repo ids from a (fake) local cache.
#include "apps/cli/model_path.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;

class ModelPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::temp_directory_path() / ("corgi_model_path_test_" + std::to_string(::getpid())))
                .string();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  // A cache entry for `repo_dir_name` with snapshot `rev`; refs/main written when `ref`.
  std::string AddSnapshot(const std::string& cache, const std::string& repo_dir_name,
                          const std::string& rev, bool ref) {
    std::string repo = cache + "/" + repo_dir_name;
    fs::create_directories(repo + "/snapshots/" + rev);
    std::ofstream(repo + "/snapshots/" + rev + "/config.json") << "{}";
    if (ref) {
      fs::create_directories(repo + "/refs");
      std::ofstream(repo + "/refs/main") << rev << "\n";
    }
    return repo + "/snapshots/" + rev;
  }
  std::string root_;
};

TEST_F(ModelPathTest, RepoIdShape) {
  EXPECT_TRUE(LooksLikeRepoId("Qwen/Qwen3-VL-2B-Instruct"));
  EXPECT_TRUE(LooksLikeRepoId("org_1/model.v2"));
  EXPECT_FALSE(LooksLikeRepoId("models"));
  EXPECT_FALSE(LooksLikeRepoId("/abs/path"));
  EXPECT_FALSE(LooksLikeRepoId("a/b/c"));
  EXPECT_FALSE(LooksLikeRepoId("./model"));
  EXPECT_FALSE(LooksLikeRepoId("a/"));
  EXPECT_FALSE(LooksLikeRepoId("a b/c"));
}

TEST_F(ModelPathTest, ExistingDirectoryAndPlainPathsPassThrough) {
  fs::create_directories(root_ + "/owner/name");
  auto r = ResolveModelPathIn(root_ + "/owner/name", root_ + "/cache");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, root_ + "/owner/name");
  // Not a repo id and not there: left for the loader to report.
  auto missing = ResolveModelPathIn("/no/such/dir/at/all", root_ + "/cache");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, "/no/such/dir/at/all");
  EXPECT_FALSE(ResolveModelPathIn("", root_ + "/cache").ok());
}

TEST_F(ModelPathTest, RepoIdFromCache) {
  const std::string cache = root_ + "/hub";
  std::string snap = AddSnapshot(cache, "models--Qwen--Qwen3-VL-2B-Instruct", "abc123", true);
  AddSnapshot(cache, "models--Qwen--Qwen3-VL-2B-Instruct", "old456", false);
  auto r = ResolveModelPathIn("Qwen/Qwen3-VL-2B-Instruct", cache);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, snap);

  // Without refs/main a single snapshot is taken.
  std::string only = AddSnapshot(cache, "models--acme--tiny", "fff", false);
  auto single = ResolveModelPathIn("acme/tiny", cache);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(*single, only);
}

TEST_F(ModelPathTest, MissingRepoSaysWhereItLookedAndDoesNotDownload) {
  const std::string cache = root_ + "/hub";
  auto r = ResolveModelPathIn("Qwen/Qwen3-VL-8B-Instruct", cache);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find(cache + "/models--Qwen--Qwen3-VL-8B-Instruct"), std::string::npos) << m;
  EXPECT_NE(m.find("does not download"), std::string::npos) << m;
  EXPECT_NE(m.find("huggingface-cli download Qwen/Qwen3-VL-8B-Instruct"), std::string::npos) << m;

  // refs/main naming a snapshot that is not there.
  fs::create_directories(cache + "/models--a--b/refs");
  std::ofstream(cache + "/models--a--b/refs/main") << "deadbeef";
  auto dangling = ResolveModelPathIn("a/b", cache);
  ASSERT_FALSE(dangling.ok());
  EXPECT_NE(dangling.status().message().find("deadbeef"), std::string::npos);
}

TEST_F(ModelPathTest, CacheDirFromEnvironment) {
  const char* keys[] = {"HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"};
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (const char* k : keys) {
    const char* v = std::getenv(k);
    saved.emplace_back(k, v ? std::optional<std::string>(v) : std::nullopt);
  }
  ::unsetenv("HF_HUB_CACHE");
  ::unsetenv("HF_HOME");
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(HubCacheDir(), "/home/someone/.cache/huggingface/hub");
  ::setenv("HF_HOME", (root_ + "/hf").c_str(), 1);
  EXPECT_EQ(HubCacheDir(), root_ + "/hf/hub");
  std::string snap = AddSnapshot(root_ + "/hf/hub", "models--o--n", "r1", true);
  auto r = ResolveModelPath("o/n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, snap);
  ::setenv("HF_HUB_CACHE", (root_ + "/elsewhere").c_str(), 1);
  EXPECT_EQ(HubCacheDir(), root_ + "/elsewhere");
  for (auto& [k, v] : saved) {
    if (v)
      ::setenv(k.c_str(), v->c_str(), 1);
    else
      ::unsetenv(k.c_str());
  }
}

}  // namespace
}  // namespace corgi::cli
