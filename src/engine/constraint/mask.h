// Token masks for one parse state: which tokens may come next and how many bytes each
// leaves to complete, computed by walking the vocabulary trie against the state, and
// cached per state by the compiled constraint so repeated states (long runs of free
// text or string content) cost a lookup.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/constraint/grammar.h"
#include "engine/constraint/machine.h"
#include "engine/constraint/vocab_trie.h"

namespace corgi::constraint {

// The tokens allowed after one state. `after` of a token = MinBytes of the state it
// leads to; a token is allowed under budget r when after + 1 <= r.
struct MaskEntry {
  bool complement = false;      // `ids` lists the disallowed tokens (else the allowed)
  std::vector<int32_t> ids;     // sorted, all < vocab_size
  int64_t common_after = kInf;  // `after` of allowed tokens not in `exceptions`
  std::vector<std::pair<int32_t, int64_t>> exceptions;  // (id, after), after ascending
  int64_t min_after = 0;
  int64_t max_after = 0;
  size_t allowed = 0;  // number of allowed tokens

  size_t MemoryBytes() const { return sizeof(*this) + ids.size() * 4 + exceptions.size() * 16; }
};

// Reusable buffers for MaskEntry computation (one per matcher).
struct WalkScratch {
  std::vector<State> states;                         // per trie depth
  std::vector<std::pair<int32_t, int32_t>> allowed;  // (id, after)
  std::vector<uint8_t> flags;                        // per id
};

// Computes the entry for `s`: walks the trie, skipping subtrees whose first byte fails
// and accepting whole subtrees whose bytes all leave the state unchanged.
void ComputeMask(const Machine& machine, const VocabTrie& trie, const State& s,
                 WalkScratch* scratch, MaskEntry* out);

// Applies `e` to logits[0, n) for tokens with after <= limit (callers pass limit >=
// e.min_after so something stays allowed). `saved` is scratch.
void ApplyMask(const MaskEntry& e, int64_t limit, float* logits, int64_t n,
               std::vector<float>* saved);

// A grammar bound to a vocabulary plus the state -> mask cache shared by all matchers
// of that constraint. Thread-safe.
class CompiledConstraint {
 public:
  CompiledConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const VocabTrie> trie)
      : grammar_(std::move(grammar)), trie_(std::move(trie)), machine_(grammar_.get()) {}

  const Grammar& grammar() const { return *grammar_; }
  const VocabTrie& trie() const { return *trie_; }
  const Machine& machine() const { return machine_; }

  // The cached entry for state key `key`, or null.
  std::shared_ptr<const MaskEntry> Find(const std::string& key) const;
  // Caches `entry`; the cache is emptied when it would exceed kMaxCacheBytes.
  void Insert(const std::string& key, std::shared_ptr<const MaskEntry> entry);

  static constexpr size_t kMaxCacheBytes = size_t{64} << 20;

 private:
  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const VocabTrie> trie_;
  Machine machine_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const MaskEntry>> cache_;  // guarded by mu_
  size_t cache_bytes_ = 0;                                                   // guarded by mu_
};

}  // namespace corgi::constraint
