#include "engine/prefix_cache.h"

#include <algorithm>
#include <limits>

#include "corgi/core/check.h"

namespace corgi {

TokenKey ImageTokenKey(const Hash128& image_key, int64_t index) {
  Hasher h;
  h.UpdatePod(image_key);
  h.UpdatePod(index);
  return h.Finish().low | (TokenKey{1} << 63);
}

struct PrefixCache::Node {
  Node* parent = nullptr;
  std::vector<TokenKey> keys;     // [page_rows]
  std::vector<int32_t> positions; // [3, page_rows]
  int32_t next_position = 0;      // 1 + the largest position id through this node
  int64_t rope_delta = 0;         // next_position − tokens through this node
  int32_t page = -1;
  uint64_t last_use = 0;
  std::vector<std::unique_ptr<Node>> children;
};

PrefixCache::PrefixCache(KvPagePool* pool, bool enabled)
    : pool_(pool), enabled_(enabled), root_(std::make_unique<Node>()) {
  refs_.assign(static_cast<size_t>(pool->max_pages()), 0);
}

PrefixCache::~PrefixCache() = default;

int32_t PrefixCache::AllocatePage() {
  int32_t page = pool_->Allocate();
  while (page < 0 && EvictOne()) page = pool_->Allocate();
  if (page < 0) return -1;
  refs_[page] = 1;
  peak_pages_ = std::max(peak_pages_, pool_->pages_in_use());
  return page;
}

void PrefixCache::Retain(int32_t page) {
  CORGI_CHECK(page >= 0 && refs_[page] > 0) << "PrefixCache: retain of free page " << page;
  ++refs_[page];
}

void PrefixCache::Release(int32_t page) {
  CORGI_CHECK(page >= 0 && refs_[page] > 0) << "PrefixCache: release of free page " << page;
  if (--refs_[page] == 0) pool_->Release(page);
}

int64_t PrefixCache::AvailablePages() const {
  // A node can be evicted eventually when no sequence holds its page or any page below it.
  int64_t evictable = 0;
  auto visit = [&](auto&& self, const Node* node) -> bool {
    bool all = true;
    for (const auto& child : node->children) all = self(self, child.get()) && all;
    if (node == root_.get()) return all;
    const bool free = all && refs_[node->page] == 1;
    if (free) ++evictable;
    return free;
  };
  visit(visit, root_.get());
  return pool_->max_pages() - pool_->pages_in_use() + evictable;
}

PrefixCache::Node* PrefixCache::FindChild(Node* parent, std::span<const TokenKey> keys) const {
  for (const auto& child : parent->children)
    if (std::equal(keys.begin(), keys.end(), child->keys.begin(), child->keys.end())) return child.get();
  return nullptr;
}

namespace {

// Whether node rows [0, rows) have the positions of prompt rows [first, first + rows).
bool PositionsAgree(const std::vector<int32_t>& node_positions, int64_t page_rows,
                    std::span<const int32_t> positions, int64_t n, int64_t first, int64_t rows) {
  for (int a = 0; a < 3; ++a)
    for (int64_t i = 0; i < rows; ++i)
      if (node_positions[a * page_rows + i] != positions[a * n + first + i]) return false;
  return true;
}

}  // namespace

PrefixCache::Match PrefixCache::Lookup(std::span<const TokenKey> keys, std::span<const int32_t> positions,
                                       int64_t limit) {
  Match m;
  if (!enabled_) return m;
  ++stats_.lookups;
  const int64_t pr = pool_->page_rows(), n = static_cast<int64_t>(keys.size());
  limit = std::min(limit, n);
  Node* node = root_.get();
  int64_t t = 0;
  while (t + pr <= limit) {
    Node* child = FindChild(node, keys.subspan(t, pr));
    if (child == nullptr || !PositionsAgree(child->positions, pr, positions, n, t, pr)) break;
    child->last_use = ++clock_;
    Retain(child->page);
    m.pages.push_back(child->page);
    node = child;
    t += pr;
  }
  m.next_position = node->next_position;
  m.rope_delta = node->rope_delta;
  // A child sharing a leading part of the next page: its rows are copied, not shared,
  // because the caller will write its own rows after them.
  Node* best = nullptr;
  int64_t best_rows = 0;
  const int64_t max_rows = std::min(pr, limit - t);
  for (const auto& child : node->children) {
    int64_t r = 0;
    while (r < max_rows && child->keys[r] == keys[t + r]) ++r;
    while (r > best_rows && !PositionsAgree(child->positions, pr, positions, n, t, r)) --r;
    if (r > best_rows) {
      best = child.get();
      best_rows = r;
    }
  }
  if (best != nullptr) {
    best->last_use = ++clock_;
    Retain(best->page);
    m.partial_page = best->page;
    m.partial_rows = best_rows;
  }
  m.tokens = t + best_rows;
  if (m.tokens > 0) ++stats_.hits;
  stats_.tokens_reused += m.tokens;
  return m;
}

void PrefixCache::Insert(std::span<const TokenKey> keys, std::span<const int32_t> positions,
                         const std::vector<int32_t>& pages, int64_t tokens) {
  if (!enabled_) return;
  const int64_t pr = pool_->page_rows(), n = static_cast<int64_t>(keys.size());
  CORGI_CHECK(tokens <= n && static_cast<int64_t>(pages.size()) * pr >= tokens) << "PrefixCache: bad insert";
  Node* node = root_.get();
  for (int64_t i = 0; (i + 1) * pr <= tokens; ++i) {
    const int64_t t = i * pr;
    Node* child = FindChild(node, keys.subspan(t, pr));
    if (child != nullptr && PositionsAgree(child->positions, pr, positions, n, t, pr)) {
      child->last_use = ++clock_;
      node = child;
      continue;
    }
    auto fresh = std::make_unique<Node>();
    fresh->parent = node;
    fresh->keys.assign(keys.begin() + t, keys.begin() + t + pr);
    fresh->positions.resize(3 * pr);
    int32_t next = node->next_position;
    for (int a = 0; a < 3; ++a)
      for (int64_t r = 0; r < pr; ++r) {
        fresh->positions[a * pr + r] = positions[a * n + t + r];
        next = std::max(next, positions[a * n + t + r] + 1);
      }
    fresh->next_position = next;
    fresh->rope_delta = next - (t + pr);
    fresh->page = pages[i];
    fresh->last_use = ++clock_;
    Retain(fresh->page);
    node->children.push_back(std::move(fresh));
    node = node->children.back().get();
    ++stats_.nodes;
  }
}

bool PrefixCache::EvictOne() {
  Node* victim = nullptr;
  auto visit = [&](auto&& self, Node* node) -> void {
    for (const auto& child : node->children) self(self, child.get());
    if (node != root_.get() && node->children.empty() && refs_[node->page] == 1 &&
        (victim == nullptr || node->last_use < victim->last_use))
      victim = node;
  };
  visit(visit, root_.get());
  if (victim == nullptr) return false;
  RemoveLeaf(victim);
  ++stats_.evictions;
  return true;
}

void PrefixCache::RemoveLeaf(Node* node) {
  const int32_t page = node->page;
  auto& siblings = node->parent->children;
  siblings.erase(std::find_if(siblings.begin(), siblings.end(), [&](const auto& c) { return c.get() == node; }));
  --stats_.nodes;
  Release(page);
}

}  // namespace corgi
