// `corgi batch --shard I/N`: which items of the input a shard runs, so N processes (on N
// machines, or against one farm of servers) split a data set, each with its own --out and
// each resumable, and `corgi batch merge` joins their results.jsonl files.
//
// An item belongs to shard ShardOfId(id, N): the low 64 bits of the id's XXH3-128 hash
// (corgi/core/hash.h: fixed algorithm, the same on every machine and run) modulo N. It
// depends on the id alone, not on the item's position, so appending items to the input,
// removing or reordering lines never moves an existing item to another shard (a resumed
// shard finds its finished items where it left them). Shards are balanced in expectation:
// each gets about 1/N of the ids.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "corgi/core/status.h"

namespace corgi::cli {

struct ShardSpec {
  int64_t index = 0;  // I, 0-based
  int64_t count = 1;  // N; 1 = the whole input
  bool all() const { return count == 1; }
  std::string ToString() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// The largest N accepted: far more machines than anyone splits a batch over.
inline constexpr int64_t kMaxShards = 1 << 20;

// Parses "I/N" (decimal, 0 <= I < N <= kMaxShards). InvalidArgument saying what is wrong,
// e.g. "--shard 2/2: I must be in [0, 1] (shards are numbered from 0)".
StatusOr<ShardSpec> ParseShard(const std::string& text);

// The shard of `id` among `count` (>= 1).
int64_t ShardOfId(const std::string& id, int64_t count);

inline bool InShard(const std::string& id, const ShardSpec& shard) {
  return shard.all() || ShardOfId(id, shard.count) == shard.index;
}

}  // namespace corgi::cli
