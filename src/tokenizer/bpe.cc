#include "tokenizer/bpe.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <queue>

namespace corgi::internal {

MergeTable::MergeTable(size_t expected_entries) {
  size_t capacity = 16;
  while (capacity < expected_entries * 2) capacity *= 2;  // load factor <= 1/2
  cells_.assign(capacity, Cell{kEmptyKey, {kNoRank, -1}});
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
}

void MergeTable::Grow() {
  std::vector<Cell> old = std::move(cells_);
  const size_t capacity = old.size() * 2;
  cells_.assign(capacity, Cell{kEmptyKey, {kNoRank, -1}});
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  size_ = 0;
  for (const Cell& c : old) {
    if (c.key != kEmptyKey) {
      Insert(static_cast<int32_t>(c.key >> 32), static_cast<int32_t>(c.key & 0xFFFFFFFFu), c.entry);
    }
  }
}

void MergeTable::Insert(int32_t a, int32_t b, Entry entry) {
  if ((size_ + 1) * 2 > cells_.size()) Grow();
  const uint64_t key = Key(a, b);
  for (uint64_t slot = Slot(key);; slot = (slot + 1) & mask_) {
    Cell& c = cells_[slot];
    if (c.key == key) {
      c.entry = entry;
      return;
    }
    if (c.key == kEmptyKey) {
      c = Cell{key, entry};
      ++size_;
      return;
    }
  }
}

void MergeByScan(const MergeTable& merges, std::vector<int32_t>* ids_ptr) {
  std::vector<int32_t>& ids = *ids_ptr;
  if (ids.size() < 2) return;
  // ranks[i] is the rank of the pair (ids[i], ids[i + 1]).
  std::array<MergeTable::Entry, kScanMergeMaxSymbols> small;
  std::vector<MergeTable::Entry> large;
  MergeTable::Entry* ranks = small.data();
  if (ids.size() > small.size()) {
    large.resize(ids.size());
    ranks = large.data();
  }
  size_t n = ids.size();
  for (size_t i = 0; i + 1 < n; ++i) ranks[i] = merges.Find(ids[i], ids[i + 1]);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i) {
      if (ranks[i].rank < ranks[best].rank) best = i;  // strict: leftmost wins ties
    }
    if (ranks[best].rank == MergeTable::kNoRank) break;
    ids[best] = ranks[best].merged;
    // Remove symbol best + 1 and the pair that started there.
    std::copy(ids.begin() + best + 2, ids.begin() + n, ids.begin() + best + 1);
    if (best + 2 < n - 1) std::copy(ranks + best + 2, ranks + n - 1, ranks + best + 1);
    --n;
    if (best > 0) ranks[best - 1] = merges.Find(ids[best - 1], ids[best]);
    if (best + 1 < n) ranks[best] = merges.Find(ids[best], ids[best + 1]);
  }
  ids.resize(n);
}

namespace {

struct Candidate {
  uint32_t rank;
  uint32_t pos;  // original index of the left symbol; order among live symbols is kept
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

void MergeByHeap(const MergeTable& merges, std::vector<int32_t>* ids_ptr) {
  std::vector<int32_t>& ids = *ids_ptr;
  const size_t n = ids.size();
  if (n < 2) return;
  // A doubly linked list over the original positions; dead symbols have alive[i] == 0.
  std::vector<uint32_t> prev(n), next(n);
  std::vector<uint8_t> alive(n, 1);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<uint32_t>(i - 1);  // wraps to UINT32_MAX for i == 0
    next[i] = static_cast<uint32_t>(i + 1);
  }
  std::vector<Candidate> storage;
  storage.reserve(n);
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap(std::greater<>(),
                                                                              std::move(storage));
  for (size_t i = 0; i + 1 < n; ++i) {
    const uint32_t r = merges.Find(ids[i], ids[i + 1]).rank;
    if (r != MergeTable::kNoRank) heap.push({r, static_cast<uint32_t>(i)});
  }
  while (!heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    const uint32_t i = top.pos;
    const uint32_t j = next[i];
    if (!alive[i] || j >= n) continue;
    const MergeTable::Entry e = merges.Find(ids[i], ids[j]);
    if (e.rank != top.rank) continue;  // stale: a neighbour changed since it was pushed
    ids[i] = e.merged;
    alive[j] = 0;
    next[i] = next[j];
    if (next[j] < n) prev[next[j]] = i;
    if (prev[i] < n) {
      const uint32_t r = merges.Find(ids[prev[i]], ids[i]).rank;
      if (r != MergeTable::kNoRank) heap.push({r, prev[i]});
    }
    if (next[i] < n) {
      const uint32_t r = merges.Find(ids[i], ids[next[i]]).rank;
      if (r != MergeTable::kNoRank) heap.push({r, i});
    }
  }
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (alive[i]) ids[out++] = ids[i];
  }
  ids.resize(out);
}

WordCache::WordCache(size_t capacity)
    : per_shard_capacity_(std::max<size_t>(1, capacity / kShards)) {
  const size_t slots = std::bit_ceil(per_shard_capacity_ * 2);
  for (Shard& shard : shards_) shard.table.assign(slots, Entry{0, 0, 0, 0});
}

bool WordCache::Lookup(std::string_view word, uint64_t hash, std::vector<int32_t>* out) {
  hash |= 1;
  Shard& shard = ShardFor(hash);
  std::lock_guard<std::mutex> lock(shard.mu);
  const size_t mask = shard.table.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const Entry& e = shard.table[slot];
    if (e.hash == 0) return false;
    if (e.hash != hash || e.word_bytes != word.size()) continue;
    const char* key = shard.arena.data() + e.offset;
    if (std::memcmp(key, word.data(), word.size()) != 0) continue;
    const size_t old_size = out->size();
    out->resize(old_size + e.num_ids);
    std::memcpy(out->data() + old_size, key + e.word_bytes, e.num_ids * sizeof(int32_t));
    return true;
  }
}

void WordCache::Insert(std::string_view word, uint64_t hash, std::span<const int32_t> ids) {
  if (word.size() > kMaxWordBytes || ids.size() > kMaxIds) return;
  hash |= 1;
  Shard& shard = ShardFor(hash);
  std::lock_guard<std::mutex> lock(shard.mu);
  const size_t needed = word.size() + ids.size() * sizeof(int32_t);
  if (shard.count >= per_shard_capacity_ || shard.arena.size() + needed > UINT32_MAX) {
    std::fill(shard.table.begin(), shard.table.end(), Entry{0, 0, 0, 0});
    shard.arena.clear();
    shard.count = 0;
  }
  const size_t mask = shard.table.size() - 1;
  size_t slot = hash & mask;
  for (;; slot = (slot + 1) & mask) {
    const Entry& e = shard.table[slot];
    if (e.hash == 0) break;
    // Another thread may have inserted the same word since our Lookup missed.
    if (e.hash == hash && e.word_bytes == word.size() &&
        std::memcmp(shard.arena.data() + e.offset, word.data(), word.size()) == 0) {
      return;
    }
  }
  shard.table[slot] = Entry{hash, static_cast<uint32_t>(shard.arena.size()),
                            static_cast<uint8_t>(word.size()), static_cast<uint8_t>(ids.size())};
  shard.arena.append(word);
  shard.arena.append(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t));
  ++shard.count;
}

void WordCache::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    std::fill(shard.table.begin(), shard.table.end(), Entry{0, 0, 0, 0});
    shard.arena.clear();
    shard.count = 0;
  }
}

}  // namespace corgi::internal
