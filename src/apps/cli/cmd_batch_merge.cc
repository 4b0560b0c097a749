// corgi batch merge: joins the results.jsonl of `corgi batch --shard I/N` runs into one
// file, checked for duplicated ids and (with --input) missing ones (batch_merge.h).
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "apps/cli/batch_input.h"
#include "apps/cli/batch_lock.h"
#include "apps/cli/batch_merge.h"
#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "corgi/core/mapped_file.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

// True when a and b name the same file (or would, once created).
bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

}  // namespace

int RunBatchMerge(int argc, char** argv) {
  FlagParser flags(
      "corgi batch merge [--input FILE] OUT SHARD...",
      "Joins the results of `corgi batch --shard I/N` runs into the file OUT (written\n"
      "atomically). Each SHARD is a batch's --out folder (or its results.jsonl). Stops, writing\n"
      "nothing, when an id has two lines, a shard's file ends in a torn line (resume that\n"
      "shard first), or with --input, when an input id has no line or a line's id is not in\n"
      "the input. Lines keep their fields; \"output_dir\" is rewritten relative to OUT's folder.\n"
      "Order: the input's with --input, else the shards' in the order given.\n"
      "Exit status: 0 merged, 1 not merged, 2 bad usage.");
  std::string* input = flags.String(
      "input", "", "the batch input: check that every item has exactly one line", "FILE");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  const std::vector<std::string>& args = flags.positional();
  if (args.size() < 2) {
    std::fprintf(stderr, "error: expected OUT and at least one SHARD\n\n");
    flags.PrintUsage();
    return 2;
  }
  const std::string out = args[0];
  std::vector<std::string> input_ids;
  if (!input->empty()) {
    StatusOr<std::vector<BatchItem>> items = LoadBatchInput(*input);
    if (!items.ok()) return Fail(items.status());
    for (const BatchItem& item : *items) input_ids.push_back(item.id);
  }
  std::vector<ShardResults> shards;
  std::vector<OutputLock> locks;  // no batch may append to a shard while it is read
  std::set<fs::path> locked;      // a folder named twice is locked once (its lines then repeat)
  for (size_t i = 1; i < args.size(); ++i) {
    std::error_code ec;
    if (fs::is_directory(args[i], ec) && locked.insert(fs::weakly_canonical(args[i], ec)).second) {
      StatusOr<OutputLock> lock = OutputLock::Acquire(args[i]);
      // A shard copied somewhere read-only cannot be locked, nor run in: read it anyway.
      if (!lock.ok() && lock.status().code() != StatusCode::kIoError) return Fail(lock.status());
      if (lock.ok()) locks.push_back(std::move(*lock));
    }
    StatusOr<ShardResults> shard = ReadShardResults(args[i]);
    if (!shard.ok()) return Fail(shard.status());
    if (SameFile(shard->name, out))
      return Fail(InvalidArgumentError("OUT '" + out + "' is the results file of the shard '" +
                                       args[i] + "'; write the merged file elsewhere"));
    shards.push_back(*std::move(shard));
  }
  if (std::error_code ec; fs::is_directory(out, ec))
    return Fail(InvalidArgumentError("OUT '" + out + "' is a folder; name the merged file"));
  const std::string out_dir = fs::path(out).parent_path().string();
  StatusOr<MergedResults> merged =
      MergeResults(shards, input->empty() ? nullptr : &input_ids, out_dir);
  if (!merged.ok()) return Fail(merged.status());
  if (Status written = WriteFileAtomically(out, merged->text); !written.ok()) return Fail(written);
  std::printf("merged %lld lines (%lld failed) from %zu shards into %s%s\n",
              static_cast<long long>(merged->lines), static_cast<long long>(merged->failed),
              shards.size(), out.c_str(), input->empty() ? "" : ", every input id once");
  return 0;
}

}  // namespace corgi::cli
