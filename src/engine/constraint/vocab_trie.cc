#include "engine/constraint/vocab_trie.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>

namespace corgi::constraint {
namespace {

struct Entry {
  std::string_view bytes;
  int32_t id;
};

// Builds the preorder trie from entries sorted by bytes: consecutive entries share
// their common prefix, so each entry adds nodes only past that prefix.
void BuildPreorder(const std::vector<Entry>& entries, VocabTrie* t) {
  t->byte.push_back(0);
  t->depth.push_back(0);
  t->token.push_back(-1);
  std::vector<int32_t> path = {0};  // node index per depth along the current entry
  std::string_view prev;
  for (const Entry& e : entries) {
    size_t common = 0;
    while (common < prev.size() && common < e.bytes.size() && prev[common] == e.bytes[common]) {
      ++common;
    }
    path.resize(common + 1);
    for (size_t d = common; d < e.bytes.size(); ++d) {
      path.push_back(static_cast<int32_t>(t->byte.size()));
      t->byte.push_back(static_cast<uint8_t>(e.bytes[d]));
      t->depth.push_back(static_cast<uint16_t>(d + 1));
      t->token.push_back(-1);
    }
    t->token[path.back()] = e.id;
    prev = e.bytes;
  }
}

// Fills subtree_end, token ranges and the below-byte summaries with one reverse pass:
// in preorder every child comes after its parent, so children are finished first.
void Summarize(VocabTrie* t) {
  const int32_t n = t->num_nodes();
  t->subtree_end.assign(n, n);
  t->below_ascii.assign(n, AsciiSet{});
  t->below_non_ascii.assign(n, 0);
  t->token_begin.assign(n, 0);
  t->token_end.assign(n, 0);
  // subtree_end: the next node with depth <= this node's depth.
  std::vector<int32_t> open;  // stack of nodes whose subtree is still open
  for (int32_t i = 0; i < n; ++i) {
    while (!open.empty() && t->depth[open.back()] >= t->depth[i]) {
      t->subtree_end[open.back()] = i;
      open.pop_back();
    }
    open.push_back(i);
  }
  for (int32_t i = 0; i < n; ++i) {
    t->token_begin[i] = static_cast<int32_t>(t->tokens_in_order.size());
    if (t->token[i] >= 0) t->tokens_in_order.push_back(t->token[i]);
  }
  for (int32_t id : t->tokens_in_order) {
    const std::string_view b = t->Bytes(id);
    int lead = static_cast<int>(b.size()) - 1;
    while (lead >= 0 && (static_cast<uint8_t>(b[lead]) & 0xC0) == 0x80) --lead;
    int tail = 0;
    for (size_t k = lead < 0 ? b.size() : lead; k < b.size() && tail >= 0; ++k) {
      tail = Utf8Step(tail, static_cast<uint8_t>(b[k]));
    }
    t->order_len.push_back(static_cast<uint16_t>(b.size()));
    t->order_last_lead.push_back(static_cast<int16_t>(lead));
    t->order_tail.push_back(static_cast<uint8_t>(tail < 0 ? 0xFF : tail));
  }
  for (int32_t i = 0; i < n; ++i) {
    const int32_t end = t->subtree_end[i];
    t->token_end[i] =
        end < n ? t->token_begin[end] : static_cast<int32_t>(t->tokens_in_order.size());
  }
  // Parent of i: the nearest earlier node with depth one less. Walk in reverse and fold
  // each node's summary (plus its own edge byte) into its parent's.
  std::vector<int32_t> parent(n, -1);
  std::vector<int32_t> last_at_depth(t->max_token_bytes + 2, -1);
  for (int32_t i = 0; i < n; ++i) {
    if (i > 0) parent[i] = last_at_depth[t->depth[i] - 1];
    last_at_depth[t->depth[i]] = i;
  }
  constexpr uint32_t kAllStates = (1u << kUtf8States) - 1;
  t->below_utf8_ok.assign(n, kAllStates);
  for (int32_t i = n - 1; i > 0; --i) {
    const int32_t p = parent[i];
    uint32_t through = 0;  // states from which byte[i] and everything below read validly
    for (int u = 0; u < kUtf8States; ++u) {
      const int v = Utf8Step(u, t->byte[i]);
      if (v >= 0 && ((t->below_utf8_ok[i] >> v) & 1)) through |= 1u << u;
    }
    t->below_utf8_ok[p] &= through;
    t->below_ascii[p].Union(t->below_ascii[i]);
    t->below_non_ascii[p] |= t->below_non_ascii[i];
    if (t->byte[i] < 0x80) {
      t->below_ascii[p].Add(t->byte[i]);
    } else {
      t->below_non_ascii[p] = 1;
    }
  }
}

std::shared_ptr<const VocabTrie> Build(const Tokenizer& tokenizer, Hash128 fingerprint) {
  auto t = std::make_shared<VocabTrie>();
  t->vocab_size = tokenizer.vocab_size();
  t->fingerprint = fingerprint;
  std::vector<bool> added(t->vocab_size, false);
  for (const AddedToken& a : tokenizer.added_tokens()) {
    if (a.id >= 0 && a.id < t->vocab_size) added[a.id] = true;
  }
  std::vector<Entry> entries;
  entries.reserve(t->vocab_size);
  for (int32_t id = 0; id < t->vocab_size; ++id) {
    if (added[id]) continue;
    std::optional<std::string_view> bytes = tokenizer.TokenBytes(id);
    if (!bytes || bytes->empty()) continue;
    entries.push_back({*bytes, id});
    t->max_token_bytes = std::max<int32_t>(t->max_token_bytes, static_cast<int32_t>(bytes->size()));
  }
  // Equal byte strings (should not happen in a BPE vocabulary) keep the lowest id.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.bytes != b.bytes ? a.bytes < b.bytes : a.id < b.id;
  });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const Entry& a, const Entry& b) { return a.bytes == b.bytes; }),
                entries.end());
  t->num_tokens = static_cast<int32_t>(entries.size());
  std::vector<std::string_view> by_id(t->vocab_size);
  for (const Entry& e : entries) by_id[e.id] = e.bytes;
  t->byte_offset.assign(t->vocab_size + 1, 0);
  for (int32_t id = 0; id < t->vocab_size; ++id) {
    t->all_bytes.append(by_id[id]);
    t->byte_offset[id + 1] = static_cast<uint32_t>(t->all_bytes.size());
  }
  BuildPreorder(entries, t.get());
  Summarize(t.get());  // after byte_offset: it reads token bytes
  const SpecialTokenIds& special = tokenizer.special_ids();
  for (int32_t id : {special.im_end, special.endoftext}) {
    if (id >= 0 && id < t->vocab_size) t->eos_ids.push_back(id);
  }
  return t;
}

Hash128 Fingerprint(const Tokenizer& tokenizer) {
  Hasher h;
  const int32_t n = tokenizer.vocab_size();
  h.UpdatePod(n);
  for (int32_t id = 0; id < n; ++id) {
    std::optional<std::string_view> bytes = tokenizer.TokenBytes(id);
    const int32_t len = bytes ? static_cast<int32_t>(bytes->size()) : -1;
    h.UpdatePod(len);
    if (bytes) h.Update(*bytes);
  }
  for (const AddedToken& a : tokenizer.added_tokens()) {
    h.UpdatePod(a.id);
    h.Update(a.content);
  }
  return h.Finish();
}

}  // namespace

std::shared_ptr<const VocabTrie> GetVocabTrie(const Tokenizer& tokenizer) {
  // Few distinct vocabularies exist in one process; a handful of entries is plenty.
  static std::mutex mu;
  static std::map<Hash128, std::shared_ptr<const VocabTrie>> cache;
  const Hash128 fp = Fingerprint(tokenizer);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(fp);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<const VocabTrie> trie = Build(tokenizer, fp);
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= 4) cache.clear();
  return cache.emplace(fp, std::move(trie)).first->second;
}

}  // namespace corgi::constraint
