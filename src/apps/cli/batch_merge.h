// `corgi batch merge`: the results.jsonl files of several shards (batch_shard.h) joined
// into one, checked: every line a complete results line, no id twice (within or across
// shards), and — when the input is given — every input id present and no other id.
// Lines are copied as they are, except "output_dir", which is rewritten relative to the
// merged file's folder ("run0/items/q1"), so it still leads to the item's files.
//
// Order: the input's when input ids are given; otherwise the shards in the order given,
// each in its file's order.
//
// Thread-safety: pure functions (MergeShardFiles reads files, writes nothing).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corgi/core/status.h"

namespace corgi::cli {

// One shard's results.jsonl.
struct ShardResults {
  std::string name;  // for messages: the file's path
  std::string dir;   // the folder its "output_dir" values are relative to
  std::string text;  // the file's contents
};

struct MergedResults {
  std::string text;  // the merged results.jsonl
  int64_t lines = 0;
  int64_t failed = 0;  // lines whose "error" is not null
};

// Merges `shards`; `out_dir` is the folder of the merged file. `input_ids` (null: not
// checked) are the input's ids in order. DataLoss naming file:line for a line that is not
// a complete results line (a shard killed and not resumed); FailedPrecondition listing
// the duplicated ids (with where each occurs), the missing ids and the ids not in the
// input, all problems in one message.
StatusOr<MergedResults> MergeResults(const std::vector<ShardResults>& shards,
                                     const std::vector<std::string>* input_ids,
                                     const std::string& out_dir);

// "items/q1" of the shard folder `shard_dir`, as a path relative to `out_dir` (both made
// absolute against the working directory first); absolute when no relative path exists.
std::string RebaseOutputDir(const std::string& shard_dir, const std::string& output_dir,
                            const std::string& out_dir);

// Reads a shard argument: a folder (its results.jsonl) or a results file itself.
// NotFound naming the path when there is no results file.
StatusOr<ShardResults> ReadShardResults(const std::string& path);

}  // namespace corgi::cli
