// End to end for throughput across queries: `corgi batch --parallel K` and `--shard I/N`
// with `corgi batch merge`, on the built binary with a replay file (deterministic):
//   * --parallel 3 gives each item the same line and files as --parallel 1;
//   * killed with SIGKILL during a --parallel 3 run (after 7 lines, and at a random
//     moment), then resumed: every item exactly once, no finished item run again;
//   * shards 0/2 and 1/2 merged equal the unsharded run; merge names missing and
//     duplicated ids; bad --parallel and --shard values are usage errors.
// The local tiny model under greedy decoding (batch invariance: same tokens whatever runs
// beside a query) is batch_local_e2e_test.cc.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <set>
#include <thread>

#include "apps/cli/batch_e2e_test_util.h"

namespace corgi::cli::batch_e2e {
namespace {

// What must not depend on how items were scheduled: the results line without its
// timings and folder, and the item's results.json (found through the line's output_dir,
// relative to `results_file`'s folder) without times and cache counters.
Json ItemSummary(const std::string& results_file, Json line) {
  Json summary = line;
  summary.erase("timings");
  summary.erase("output_dir");
  if (line["output_dir"].is_string()) {
    const std::string dir =
        fs::path(results_file).parent_path() / line["output_dir"].get<std::string>();
    Json result = Json::parse(Slurp(dir + "/results.json"), nullptr, false);
    EXPECT_TRUE(result.is_object()) << dir;
    if (!result.is_object()) return summary;
    result.erase("timings");
    result["counts"].erase("images_from_cache");
    result["counts"].erase("prefix_tokens_reused");
    for (Json& e : result["evidence"]) e.erase("ms");
    summary["results.json"] = result;
  }
  return summary;
}

// id -> ItemSummary of every line of `results_file` (a batch's --out/results.jsonl or a
// merged file); an id twice fails.
std::map<std::string, Json> Summaries(const std::string& results_file) {
  std::map<std::string, Json> by_id;
  for (const Json& line : ResultLines(results_file)) {
    const std::string id = line["id"];
    EXPECT_FALSE(by_id.count(id)) << id << " twice in " << results_file;
    by_id[id] = ItemSummary(results_file, line);
  }
  return by_id;
}

// The same ids with the same summaries; a difference is shown as a JSON patch.
void ExpectSameItems(const std::map<std::string, Json>& actual,
                     const std::map<std::string, Json>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [id, summary] : expected) {
    auto it = actual.find(id);
    ASSERT_NE(it, actual.end()) << id;
    EXPECT_TRUE(it->second == summary) << id << ": " << Json::diff(summary, it->second).dump();
  }
}

std::vector<std::string> With(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST_F(E2eTest, ParallelGivesEachItemTheSameResult) {
  std::string input = WriteInput(12), one = dir_.path() + "/one", three = dir_.path() + "/three";
  ProcessResult serial = Corgi(BatchArgs(input, one), dir_.path());
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  ProcessResult parallel = Corgi(With(BatchArgs(input, three), {"--parallel", "3"}), dir_.path());
  ASSERT_EQ(parallel.exit_code, 0) << parallel.err;
  EXPECT_NE(parallel.out.find("12 items: 12 done, 0 failed, 0 skipped"), std::string::npos)
      << parallel.out;
  EXPECT_NE(parallel.out.find("(3 at a time: "), std::string::npos) << parallel.out;
  // One plain progress line per item (stderr is no tty), each counted once.
  for (int n = 1; n <= 12; ++n)
    EXPECT_NE(parallel.err.find("[" + std::to_string(n) + "/12] q"), std::string::npos)
        << parallel.err;
  ExpectExactlyOnce(ResultIds(three + "/results.jsonl"), 12);
  std::map<std::string, Json> expected = Summaries(one + "/results.jsonl");
  ASSERT_EQ(expected.size(), 12u);
  ExpectSameItems(Summaries(three + "/results.jsonl"), expected);
  EXPECT_FALSE(fs::exists(three + "/.staging"));
  for (const Json& line : ResultLines(three + "/results.jsonl"))
    EXPECT_EQ(Slurp(three + "/" + line["output_dir"].get<std::string>() + "/.corgi-item-id"),
              line["id"]);
}

// SIGKILL right after the 7th line, with two more items in flight: those get no line and
// run again on resume; the 7 finished ones are skipped, never run again.
TEST_F(E2eTest, ParallelKilledMidwayResumesWithoutLossOrDuplicates) {
  std::string input = WriteInput(20), out = dir_.path() + "/out";
  std::vector<std::string> args = With(BatchArgs(input, out), {"--parallel", "3"});
  ProcessResult killed = Corgi(args, dir_.path(), {"CORGI_TEST_KILL_AFTER_ITEMS=7"});
  ASSERT_EQ(killed.signal, SIGKILL) << "exit " << killed.exit_code << "\n" << killed.err;
  std::vector<std::string> first = ResultIds(out + "/results.jsonl");
  ASSERT_EQ(first.size(), 7u);

  ProcessResult resumed = Corgi(args, dir_.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  EXPECT_NE(resumed.out.find("20 items: 13 done, 0 failed, 7 skipped"), std::string::npos)
      << resumed.out;
  for (const std::string& id : first)  // no finished item ran again
    EXPECT_EQ(resumed.err.find("] " + id + " ..."), std::string::npos) << id << "\n" << resumed.err;
  std::vector<std::string> ids = ResultIds(out + "/results.jsonl");
  ExpectExactlyOnce(ids, 20);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), ids.begin()));  // earlier lines untouched
  EXPECT_FALSE(fs::exists(out + "/.staging"));
  for (const Json& line : ResultLines(out + "/results.jsonl")) {
    const std::string item = out + "/" + line["output_dir"].get<std::string>();
    EXPECT_TRUE(fs::exists(item + "/results.json")) << item;
    EXPECT_EQ(Slurp(item + "/.corgi-item-id"), line["id"]) << item;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(out + "/items"), fs::directory_iterator()), 20);
}

TEST_F(E2eTest, ParallelKilledAtAnyMomentResumes) {
  std::string input = WriteInput(20), out = dir_.path() + "/out";
  std::vector<std::string> args = With(BatchArgs(input, out), {"--parallel", "3"});
  pid_t pid = Spawn(args, {}, dir_.path());
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 2000 && ResultIds(out + "/results.jsonl").size() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  Wait(pid, dir_.path());
  ProcessResult resumed = Corgi(args, dir_.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  ExpectExactlyOnce(ResultIds(out + "/results.jsonl"), 20);
}

TEST_F(E2eTest, ShardsMergeToTheUnshardedRun) {
  std::string input = WriteInput(12), whole = dir_.path() + "/whole";
  ASSERT_EQ(Corgi(BatchArgs(input, whole), dir_.path()).exit_code, 0);
  std::string s0 = dir_.path() + "/s0", s1 = dir_.path() + "/s1";
  ProcessResult r0 =
      Corgi(With(BatchArgs(input, s0), {"--shard", "0/2", "--parallel", "2"}), dir_.path());
  ASSERT_EQ(r0.exit_code, 0) << r0.err;
  EXPECT_NE(r0.out.find("batch: shard 0/2, "), std::string::npos) << r0.out;
  ProcessResult r1 = Corgi(With(BatchArgs(input, s1), {"--shard", "1/2"}), dir_.path());
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  std::vector<std::string> ids0 = ResultIds(s0 + "/results.jsonl"),
                           ids1 = ResultIds(s1 + "/results.jsonl");
  EXPECT_EQ(ids0.size() + ids1.size(), 12u);
  EXPECT_FALSE(ids0.empty());
  EXPECT_FALSE(ids1.empty());
  EXPECT_NE(r0.out.find(std::to_string(ids0.size()) + " items of 12: "), std::string::npos)
      << r0.out;

  const std::string merged = dir_.path() + "/merged/all.jsonl";
  fs::create_directories(dir_.path() + "/merged");
  ProcessResult merge = Corgi({"batch", "merge", "--input", input, merged, s0, s1}, dir_.path());
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_NE(merge.out.find("merged 12 lines (0 failed) from 2 shards"), std::string::npos)
      << merge.out;
  ExpectSameItems(Summaries(merged), Summaries(whole + "/results.jsonl"));
  std::vector<std::string> merged_ids = ResultIds(merged);
  ExpectExactlyOnce(merged_ids, 12);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(merged_ids[i], "q" + std::to_string(i));  // input order
  EXPECT_EQ(ResultLines(merged)[0]["output_dir"].get<std::string>().rfind("../s", 0), 0u);

  // Refused merges name the ids and write nothing.
  const std::string partial = dir_.path() + "/partial.jsonl";
  auto expect_refused = [&](const std::vector<std::string>& args, const std::string& message) {
    ProcessResult run = Corgi(args, dir_.path());
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(partial));
  };
  // A shard left out: its ids are missing.
  expect_refused(
      {"batch", "merge", "--input", input, partial, s0},
      std::to_string(ids1.size()) + " id(s) of the input have no line: '" + ids1[0] + "'");
  // A shard given twice: every id of it is duplicated.
  expect_refused(
      {"batch", "merge", partial, s0, s1, s0},
      std::to_string(ids0.size()) + " id(s) have more than one line: '" + ids0[0] + "' at ");
  // The merged file may not overwrite a shard's own results.
  ProcessResult onto = Corgi({"batch", "merge", s0 + "/results.jsonl", s0, s1}, dir_.path());
  EXPECT_EQ(onto.exit_code, 1);
  EXPECT_NE(onto.err.find("is the results file of the shard"), std::string::npos) << onto.err;
  EXPECT_EQ(Corgi({"batch", "merge", partial}, dir_.path()).exit_code, 2);
}

TEST_F(E2eTest, BadParallelAndShardAreUsageErrors) {
  std::string input = WriteInput(2), out = dir_.path() + "/out";
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  } cases[] = {
      {{"--parallel", "0"}, "--parallel must be in [1, 64], got 0"},
      {{"--parallel", "65"}, "--parallel must be in [1, 64], got 65"},
      {{"--shard", "2/2"}, "--shard 2/2: I must be in [0, 1] (shards are numbered from 0)"},
      {{"--shard", "0/0"}, "--shard 0/0: N must be in [1, "},
      {{"--shard", "1"}, "--shard 1: expected I/N"},
      {{"--shard", "a/2"}, "--shard a/2: expected I/N with whole numbers"},
  };
  for (const Case& c : cases) {
    ProcessResult run = Corgi(With(BatchArgs(input, out), c.flags), dir_.path());
    EXPECT_EQ(run.exit_code, 2) << c.flags[1] << "\n" << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
  }
  EXPECT_FALSE(fs::exists(out + "/results.jsonl"));
}

}  // namespace
}  // namespace corgi::cli::batch_e2e
