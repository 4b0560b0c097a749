// The prefix cache (DESIGN.md "Caches and batching"): reference-counted KV pages and a
// radix tree over prompt prefixes whose edges are whole pages.
//
// Tokens are compared by TokenKey: the token id, or for an image placeholder a hash of
// its image's cache key and its index in the image — two different images never share
// an entry even though their placeholder ids are equal. Each tree node is one full page
// of a prompt: its keys, its page, and the position state of its rows (the three M-RoPE
// position ids of every row, plus the next position and rope delta after the node), so a
// prompt resumes from a node only if its own positions agree.
//
// Page ownership: every user of a page holds a reference — each live sequence whose
// page table lists it, and the tree for a cached page. A page returns to the pool when
// its last reference goes. When the pool is full, AllocatePage evicts the least recently
// used tree leaf that no sequence holds.
//
// Not thread-safe (the engine serializes access).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/engine.h"
#include "corgi/model/kv_pages.h"

namespace corgi {

using TokenKey = uint64_t;

// The key of an image placeholder: the top bit set (token ids never have it), the rest a
// hash of the image key and the placeholder's index within the image.
TokenKey ImageTokenKey(const Hash128& image_key, int64_t index);

class PrefixCache {
 public:
  // `enabled` false: pages are still reference-counted, but nothing is cached.
  PrefixCache(KvPagePool* pool, bool enabled);
  ~PrefixCache();

  // A page with one reference (the caller's), evicting cached pages if needed; -1 when
  // every page is held by live sequences.
  int32_t AllocatePage();
  void Retain(int32_t page);
  void Release(int32_t page);
  // Pages AllocatePage could still hand out (free, never allocated, or evictable).
  int64_t AvailablePages() const;

  struct Match {
    std::vector<int32_t> pages;  // full pages, retained for the caller
    int64_t tokens = 0;          // rows covered by `pages` (+ partial_rows)
    // A cached page whose first partial_rows rows continue the match; the caller copies
    // them into a private page (the page is retained until ReleaseMatchSource).
    int32_t partial_page = -1;
    int64_t partial_rows = 0;
    // Position state after the full pages: the next free position id and the rope delta
    // (0, 0 when nothing matched).
    int32_t next_position = 0;
    int64_t rope_delta = 0;
  };
  // The longest cached prefix of keys[0, limit) whose positions ([3, n] rows of
  // `positions`, n = keys.size()) equal those cached. Counts a lookup (and a hit).
  Match Lookup(std::span<const TokenKey> keys, std::span<const int32_t> positions, int64_t limit);
  // Records the full pages of a sequence's first `tokens` rows: pages[i] holds rows
  // [i*page_rows, (i+1)*page_rows). Nodes that exist already are kept (and touched).
  void Insert(std::span<const TokenKey> keys, std::span<const int32_t> positions,
              const std::vector<int32_t>& pages, int64_t tokens);

  const PrefixCacheStats& stats() const { return stats_; }
  void CountComputed(int64_t tokens) { stats_.tokens_computed += tokens; }
  int64_t peak_pages() const { return peak_pages_; }
  KvPagePool* pool() const { return pool_; }

 private:
  struct Node;
  Node* FindChild(Node* parent, std::span<const TokenKey> keys) const;
  bool EvictOne();
  void RemoveLeaf(Node* node);

  KvPagePool* pool_;
  bool enabled_;
  std::unique_ptr<Node> root_;
  std::vector<int32_t> refs_;  // [page id] references
  uint64_t clock_ = 0;         // LRU time
  int64_t peak_pages_ = 0;
  PrefixCacheStats stats_;
};

}  // namespace corgi
