// Byte-level BPE merging: the pair -> rank table, the two merge loops, and the word cache.
//
// A word (one pre-tokenizer piece) starts as one symbol per byte; the adjacent pair with
// the lowest merge rank is merged, the leftmost on ties, until no pair has a rank. This is
// the order Hugging Face's BPE model uses (its heap orders by rank, then position).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corgi::internal {

// Open-addressing hash map (a, b) -> (rank, merged id); immutable after building.
class MergeTable {
 public:
  struct Entry {
    uint32_t rank;
    int32_t merged;
  };
  static constexpr uint32_t kNoRank = UINT32_MAX;

  explicit MergeTable(size_t expected_entries = 0);
  // Later insertions of the same pair overwrite earlier ones (as HF's HashMap collect does).
  void Insert(int32_t a, int32_t b, Entry entry);
  // {kNoRank, -1} when (a, b) is not a merge.
  Entry Find(int32_t a, int32_t b) const {
    const uint64_t key = Key(a, b);
    for (uint64_t slot = Slot(key);; slot = (slot + 1) & mask_) {
      const Cell& c = cells_[slot];
      if (c.key == key) return c.entry;
      if (c.key == kEmptyKey) return {kNoRank, -1};
    }
  }
  size_t size() const { return size_; }

 private:
  struct Cell {
    uint64_t key;
    Entry entry;
  };
  static constexpr uint64_t kEmptyKey = ~0ull;  // ids are non-negative, so never a real key
  static uint64_t Key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  uint64_t Slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  void Grow();

  std::vector<Cell> cells_;
  uint64_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

// Merges `ids` (initially one id per byte) in place. Both give identical results;
// MergeByScan is O(n^2) and fastest for short words, MergeByHeap is O(n log n).
void MergeByScan(const MergeTable& merges, std::vector<int32_t>* ids);
void MergeByHeap(const MergeTable& merges, std::vector<int32_t>* ids);

// Words longer than this use MergeByHeap.
inline constexpr size_t kScanMergeMaxSymbols = 64;

// A bounded cache word bytes -> ids, safe for concurrent use. It is split into shards,
// each an open-addressing table plus a byte arena behind its own mutex; a shard that
// reaches its share of the capacity is emptied (cheap, and English text refills the
// common words at once). The caller supplies the hash so it is computed once per word.
class WordCache {
 public:
  explicit WordCache(size_t capacity);
  // Appends the cached ids of `word` to `out` and returns true, or returns false.
  bool Lookup(std::string_view word, uint64_t hash, std::vector<int32_t>* out);
  // Words longer than kMaxWordBytes or with more than kMaxIds ids are not stored.
  void Insert(std::string_view word, uint64_t hash, std::span<const int32_t> ids);
  void Clear();

  static constexpr size_t kMaxWordBytes = 255;
  static constexpr size_t kMaxIds = 255;

 private:
  struct Entry {
    uint64_t hash;    // 0: empty slot (stored hashes have their low bit set)
    uint32_t offset;  // into arena: the word's bytes, then its ids (int32, unaligned)
    uint8_t word_bytes;
    uint8_t num_ids;
  };
  struct Shard {
    std::mutex mu;
    std::vector<Entry> table;  // power-of-two size, at most half full
    std::string arena;
    size_t count = 0;
  };
  static constexpr size_t kShards = 16;
  Shard& ShardFor(uint64_t hash) { return shards_[hash >> 60]; }

  size_t per_shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace corgi::internal
