#include "apps/cli/batch_shard.h"

#include <charconv>

#include "corgi/core/hash.h"

namespace corgi::cli {
namespace {

// A whole decimal number (digits only: no sign, no spaces), or -1.
int64_t ParseCount(const std::string& text) {
  int64_t value = -1;
  if (text.empty() || text.size() > 18) return -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return -1;
  return value;
}

}  // namespace

StatusOr<ShardSpec> ParseShard(const std::string& text) {
  const std::string what = "--shard " + text + ": ";
  size_t slash = text.find('/');
  if (slash == std::string::npos)
    return InvalidArgumentError(what + "expected I/N, shard I of N (e.g. 0/4)");
  ShardSpec shard;
  shard.index = ParseCount(text.substr(0, slash));
  shard.count = ParseCount(text.substr(slash + 1));
  if (shard.index < 0 || shard.count < 0)
    return InvalidArgumentError(what + "expected I/N with whole numbers I and N (e.g. 0/4)");
  if (shard.count < 1 || shard.count > kMaxShards)
    return InvalidArgumentError(what + "N must be in [1, " + std::to_string(kMaxShards) + "]");
  if (shard.index >= shard.count)
    return InvalidArgumentError(what + "I must be in [0, " + std::to_string(shard.count - 1) +
                                "] (shards are numbered from 0)");
  return shard;
}

int64_t ShardOfId(const std::string& id, int64_t count) {
  return static_cast<int64_t>(HashString(id).low % static_cast<uint64_t>(count));
}

}  // namespace corgi::cli
