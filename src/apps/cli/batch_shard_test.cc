// Tests of --shard selection and `corgi batch merge`: I/N parsing and its errors, every id
// in exactly one shard, shards that do not move when the input grows, and the merge's
// checks (torn lines, duplicated, missing and unknown ids) and output_dir rewriting.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "apps/cli/batch_merge.h"
#include "apps/cli/batch_results.h"
#include "apps/cli/batch_shard.h"
#include "io/io_test_util.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string ShardError(const std::string& text) {
  StatusOr<ShardSpec> shard = ParseShard(text);
  return shard.ok() ? "" : shard.status().message();
}

TEST(BatchShardTest, Parse) {
  StatusOr<ShardSpec> shard = ParseShard("2/5");
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 5);
  EXPECT_EQ(shard->ToString(), "2/5");
  EXPECT_FALSE(shard->all());
  EXPECT_TRUE(ParseShard("0/1")->all());

  EXPECT_EQ(ShardError("5/5"), "--shard 5/5: I must be in [0, 4] (shards are numbered from 0)");
  EXPECT_EQ(ShardError("1/0"), "--shard 1/0: N must be in [1, 1048576]");
  EXPECT_EQ(ShardError("0/0"), "--shard 0/0: N must be in [1, 1048576]");
  EXPECT_EQ(ShardError("3"), "--shard 3: expected I/N, shard I of N (e.g. 0/4)");
  for (const char* bad : {"-1/4", "a/4", "1/b", "/4", "1/", " 1/4", "1/4 ", "+1/4", "1.0/4",
                          "1/4/2", "99999999999999999999/4"})
    EXPECT_NE(ShardError(bad).find("whole numbers"), std::string::npos)
        << bad << ": " << ShardError(bad);
}

// 1000 ids: each in exactly one of N shards, every shard near 1/N of them, and the same
// answer when asked again (nothing depends on the order or the number of ids).
TEST(BatchShardTest, EveryIdInExactlyOneShard) {
  for (int64_t n : {1, 2, 3, 7}) {
    std::map<int64_t, int> sizes;
    for (int i = 0; i < 1000; ++i) {
      const std::string id = "item-" + std::to_string(i);
      int owners = 0;
      for (int64_t s = 0; s < n; ++s) owners += InShard(id, ShardSpec{s, n}) ? 1 : 0;
      EXPECT_EQ(owners, 1) << id << " of " << n;
      int64_t shard = ShardOfId(id, n);
      ASSERT_TRUE(shard >= 0 && shard < n);
      EXPECT_EQ(ShardOfId(id, n), shard);
      ++sizes[shard];
    }
    ASSERT_EQ(static_cast<int64_t>(sizes.size()), n);
    for (const auto& [shard, size] : sizes)  // binomial: far inside these bounds
      EXPECT_NEAR(size, 1000.0 / n, 0.25 * 1000.0 / n + 20) << shard << " of " << n;
  }
}

// Appending to the input (or reordering it) moves no item: the shard is the id's.
TEST(BatchShardTest, StableWhenTheInputGrows) {
  std::map<std::string, int64_t> before;
  for (int i = 0; i < 50; ++i)
    before["q" + std::to_string(i)] = ShardOfId("q" + std::to_string(i), 4);
  for (int i = 500; i >= 0; --i) {
    const std::string id = "q" + std::to_string(i);
    if (before.count(id)) {
      EXPECT_EQ(ShardOfId(id, 4), before[id]) << id;
    }
  }
  // Different ids do spread (the hash is not constant).
  std::set<int64_t> seen;
  for (const auto& [id, shard] : before) seen.insert(shard);
  EXPECT_EQ(seen.size(), 4u);
}

std::string Line(const std::string& id, const char* error = nullptr, bool with_dir = true) {
  BatchLine line;
  line.id = id;
  line.answer = "answer of " + id;
  if (error != nullptr) line.error = std::string(error);
  if (with_dir && error == nullptr) line.output_dir = "items/" + id;
  line.timings = {{"total", 1.5}};
  return FormatBatchLine(line) + "\n";
}

ShardResults Shard(const std::string& dir, const std::string& text) {
  return ShardResults{dir + "/results.jsonl", dir, text};
}

std::vector<Json> Lines(const std::string& text) {
  std::vector<Json> lines;
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1)
    lines.push_back(Json::parse(text.substr(pos, text.find('\n', pos) - pos)));
  return lines;
}

TEST(BatchMergeTest, JoinsShardsInInputOrder) {
  std::vector<ShardResults> shards = {Shard("/runs/s0", Line("c") + Line("a")),
                                      Shard("/runs/s1", Line("b", "image: NotFound") + "\n")};
  std::vector<std::string> input = {"a", "b", "c"};
  StatusOr<MergedResults> merged = MergeResults(shards, &input, "/runs");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->lines, 3);
  EXPECT_EQ(merged->failed, 1);
  std::vector<Json> lines = Lines(merged->text);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["id"], "a");
  EXPECT_EQ(lines[0]["output_dir"], "s0/items/a");  // relative to the merged file's folder
  EXPECT_EQ(lines[0]["answer"], "answer of a");
  EXPECT_EQ(lines[0]["timings"]["total"], 1.5);
  EXPECT_EQ(lines[1]["id"], "b");
  EXPECT_EQ(lines[1]["error"], "image: NotFound");
  EXPECT_TRUE(lines[1]["output_dir"].is_null());
  EXPECT_EQ(lines[2]["id"], "c");

  // Without the input: shards in the order given, lines in file order.
  merged = MergeResults(shards, nullptr, "/elsewhere/merged");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  lines = Lines(merged->text);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["id"], "c");
  EXPECT_EQ(lines[0]["output_dir"], "../../runs/s0/items/c");
  EXPECT_EQ(lines[2]["id"], "b");
}

TEST(BatchMergeTest, DuplicatedIdsAreNamedWithTheirPlaces) {
  std::vector<ShardResults> shards = {Shard("/r/s0", Line("a") + Line("b")),
                                      Shard("/r/s1", Line("c") + Line("a"))};
  StatusOr<MergedResults> merged = MergeResults(shards, nullptr, "/r");
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(
      merged.status().message().find(
          "1 id(s) have more than one line: 'a' at /r/s0/results.jsonl:1 /r/s1/results.jsonl:2"),
      std::string::npos)
      << merged.status().message();
  // Twice in one shard is as wrong as once in each of two.
  merged = MergeResults({Shard("/r/s0", Line("a") + Line("a", "x"))}, nullptr, "/r");
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.status().message().find("'a' at /r/s0/results.jsonl:1 /r/s0/results.jsonl:2"),
            std::string::npos)
      << merged.status().message();
}

TEST(BatchMergeTest, MissingAndUnknownIdsAgainstTheInput) {
  std::vector<ShardResults> shards = {Shard("/r/s0", Line("a") + Line("zz"))};
  std::vector<std::string> input = {"a", "b", "c"};
  StatusOr<MergedResults> merged = MergeResults(shards, &input, "/r");
  ASSERT_FALSE(merged.ok());
  const std::string& m = merged.status().message();
  EXPECT_NE(m.find("2 id(s) of the input have no line: 'b', 'c'"), std::string::npos) << m;
  EXPECT_NE(m.find("1 id(s) are not in the input: 'zz'"), std::string::npos) << m;
  // Long lists are cut: ten ids, then a count.
  std::vector<std::string> many;
  for (int i = 0; i < 25; ++i) many.push_back("m" + std::to_string(i));
  merged = MergeResults({Shard("/r/s0", "")}, &many, "/r");
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.status().message().find("'m8', 'm9' and 15 more"), std::string::npos)
      << merged.status().message();
  // Every id present once: merged (an empty input would be, too).
  input = {"a"};
  EXPECT_TRUE(MergeResults({Shard("/r/s0", Line("a"))}, &input, "/r").ok());
}

// A shard killed and not resumed ends in a torn line: refused, naming the line.
TEST(BatchMergeTest, TornLineIsRefused) {
  std::string torn = Line("a") + "{\"id\": \"b\", \"answ";
  StatusOr<MergedResults> merged = MergeResults({Shard("/r/s0", torn)}, nullptr, "/r");
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(merged.status().message().find("/r/s0/results.jsonl:2: not a complete results line"),
            std::string::npos)
      << merged.status().message();
}

TEST(BatchMergeTest, ReadShardResults) {
  io_test::TempDir dir;
  EXPECT_EQ(ReadShardResults(dir.path()).status().code(), StatusCode::kNotFound);
  std::ofstream(dir.path() + "/results.jsonl") << Line("a");
  StatusOr<ShardResults> from_dir = ReadShardResults(dir.path());
  ASSERT_TRUE(from_dir.ok()) << from_dir.status().ToString();
  EXPECT_EQ(from_dir->dir, dir.path());
  EXPECT_EQ(from_dir->text, Line("a"));
  StatusOr<ShardResults> from_file = ReadShardResults(dir.path() + "/results.jsonl");
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->dir, dir.path());
  EXPECT_EQ(from_file->name, dir.path() + "/results.jsonl");
}

}  // namespace
}  // namespace corgi::cli
