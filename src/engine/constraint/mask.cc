#include "engine/constraint/mask.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace corgi::constraint {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The most frequent `after` value (the one most allowed tokens share).
int64_t ModeAfter(const std::vector<std::pair<int32_t, int32_t>>& allowed) {
  int64_t lo = kInf, hi = -1;
  for (const auto& [id, after] : allowed)
    lo = std::min<int64_t>(lo, after), hi = std::max<int64_t>(hi, after);
  if (hi < 0) return kInf;
  int64_t best = lo;
  size_t best_count = 0;
  if (hi - lo < 4096) {
    std::vector<size_t> counts(hi - lo + 1, 0);
    for (const auto& [id, after] : allowed) ++counts[after - lo];
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] > best_count) best_count = counts[k], best = lo + static_cast<int64_t>(k);
    }
    return best;
  }
  std::unordered_map<int64_t, size_t> counts;
  for (const auto& [id, after] : allowed) {
    const size_t c = ++counts[after];
    if (c > best_count || (c == best_count && after < best)) best_count = c, best = after;
  }
  return best;
}

void BuildEntry(const VocabTrie& trie, WalkScratch* scratch, MaskEntry* out) {
  const auto& allowed = scratch->allowed;
  *out = MaskEntry{};
  out->allowed = allowed.size();
  out->common_after = ModeAfter(allowed);
  out->min_after = kInf;
  out->max_after = 0;
  for (const auto& [id, after] : allowed) {
    out->min_after = std::min<int64_t>(out->min_after, after);
    out->max_after = std::max<int64_t>(out->max_after, after);
    if (after != out->common_after) out->exceptions.push_back({id, after});
  }
  std::sort(out->exceptions.begin(), out->exceptions.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  out->complement = allowed.size() * 2 > static_cast<size_t>(trie.vocab_size);
  if (!out->complement) {  // few allowed: list them
    for (const auto& [id, after] : allowed) out->ids.push_back(id);
    std::sort(out->ids.begin(), out->ids.end());
    return;
  }
  std::vector<uint8_t>& flags = scratch->flags;
  flags.assign(trie.vocab_size, 0);
  for (const auto& [id, after] : allowed) flags[id] = 1;
  for (int32_t id = 0; id < trie.vocab_size; ++id) {
    if (!flags[id]) out->ids.push_back(id);
  }
}

// Keeps logits[ids] (ids < n), sets the rest of [0, n) to -inf.
template <typename IdAt>
void KeepOnly(size_t count, IdAt id_at, float* logits, int64_t n, std::vector<float>* saved) {
  saved->resize(count);
  for (size_t k = 0; k < count; ++k) {
    const int32_t id = id_at(k);
    (*saved)[k] = id < n ? logits[id] : kNegInf;
  }
  std::fill(logits, logits + n, kNegInf);
  for (size_t k = 0; k < count; ++k) {
    const int32_t id = id_at(k);
    if (id < n) logits[id] = (*saved)[k];
  }
}

// Completion costs are stored as int32; anything beyond is "never within budget".
int32_t ClampAfter(int64_t after) {
  return static_cast<int32_t>(std::min<int64_t>(after, 1 << 30));
}

// Appends every token strictly below node `i` (state `st` at the node) with its cost.
void AddSubtree(const Machine& machine, const VocabTrie& trie, const State& st, int32_t i,
                bool skip_first, std::vector<std::pair<int32_t, int32_t>>* allowed) {
  int64_t after_by_utf8[kUtf8States];
  std::fill(std::begin(after_by_utf8), std::end(after_by_utf8), int64_t{-1});
  const int depth = trie.depth[i];
  for (int32_t k = trie.token_begin[i] + (skip_first ? 1 : 0); k < trie.token_end[i]; ++k) {
    // The UTF-8 state at the token's end: from its last lead byte if that lies below the
    // node, else the node's pending character advanced by the continuation bytes.
    const int end_utf8 = trie.order_last_lead[k] >= depth
                             ? trie.order_tail[k]
                             : Utf8AfterContinuations(st.utf8, trie.order_len[k] - depth);
    int64_t& after = after_by_utf8[end_utf8];
    if (after < 0) {
      State t = st;
      t.utf8 = static_cast<uint8_t>(end_utf8);
      after = ClampAfter(machine.MinBytes(t));
    }
    allowed->push_back({trie.tokens_in_order[k], after});
  }
}

}  // namespace

void ComputeMask(const Machine& machine, const VocabTrie& trie, const State& s,
                 WalkScratch* scratch, MaskEntry* out) {
  std::vector<State>& states = scratch->states;
  states.resize(trie.max_token_bytes + 1);
  auto& allowed = scratch->allowed;
  allowed.clear();
  allowed.reserve(trie.vocab_size + trie.eos_ids.size());
  states[0] = s;
  const int32_t n = trie.num_nodes();
  int32_t i = 1;
  while (i < n) {
    State& st = states[trie.depth[i]];
    st = states[trie.depth[i] - 1];
    if (!machine.Step(&st, trie.byte[i])) {
      i = trie.subtree_end[i];
      continue;
    }
    const int32_t tok = trie.token[i];
    const int32_t end = trie.subtree_end[i];
    int64_t after = -1;
    if (tok >= 0) {
      after = machine.MinBytes(st);
      allowed.push_back({tok, ClampAfter(after)});
    }
    // A subtree whose bytes all leave the state as it is, but for UTF-8 progress: every
    // token below is allowed, and its completion cost depends only on the UTF-8 state
    // it ends in, so take them without stepping (plain text runs).
    if (end > i + 1 && ((trie.below_utf8_ok[i] >> st.utf8) & 1) != 0) {
      const Machine::PlainRun plain = machine.Plain(st);
      if (trie.below_ascii[i].SubsetOf(plain.ascii) &&
          (plain.utf8_text || !trie.below_non_ascii[i])) {
        AddSubtree(machine, trie, st, i, tok >= 0, &allowed);
        i = end;
        continue;
      }
    }
    ++i;
  }
  if (machine.MinBytes(s) == 0) {
    for (int32_t id : trie.eos_ids) allowed.push_back({id, 0});
  }
  BuildEntry(trie, scratch, out);
}

void ApplyMask(const MaskEntry& e, int64_t limit, float* logits, int64_t n,
               std::vector<float>* saved) {
  if (limit < e.common_after) {
    // Only exceptions with a shorter completion fit (a tight budget).
    size_t count = 0;
    while (count < e.exceptions.size() && e.exceptions[count].second <= limit) ++count;
    KeepOnly(
        count, [&](size_t k) { return e.exceptions[k].first; }, logits, n, saved);
    return;
  }
  if (e.complement) {
    for (int32_t id : e.ids) {
      if (id >= n) break;
      logits[id] = kNegInf;
    }
  } else {
    KeepOnly(
        e.ids.size(), [&](size_t k) { return e.ids[k]; }, logits, n, saved);
  }
  if (limit >= e.max_after) return;
  for (size_t k = e.exceptions.size(); k-- > 0 && e.exceptions[k].second > limit;) {
    const int32_t id = e.exceptions[k].first;
    if (id < n) logits[id] = kNegInf;
  }
}

std::shared_ptr<const MaskEntry> CompiledConstraint::Find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

void CompiledConstraint::Insert(const std::string& key, std::shared_ptr<const MaskEntry> entry) {
  const size_t bytes = entry->MemoryBytes() + key.size();
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_bytes_ + bytes > kMaxCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  if (cache_.emplace(key, std::move(entry)).second) cache_bytes_ += bytes;
}

}  // namespace corgi::constraint
