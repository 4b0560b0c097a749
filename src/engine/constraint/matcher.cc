// CompileConstraint and the TokenMatcher over the byte-level machine.
#include <algorithm>
#include <limits>
#include <map>
#include <mutex>

#include "corgi/engine/constraint.h"
#include "engine/constraint/mask.h"

namespace corgi {
namespace constraint {
namespace {

class GrammarMatcher : public TokenMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<CompiledConstraint> cc)
      : cc_(std::move(cc)), state_(cc_->machine().Initial()) {}

  void MaskLogits(float* logits, int64_t vocab, int64_t remaining) override {
    const int64_t n = std::min<int64_t>(vocab, cc_->trie().vocab_size);
    const MaskEntry& e = Entry();
    // Below the minimum the guarantee is void; keep the shortest paths open anyway.
    const int64_t limit = std::max(remaining - 1, e.min_after);
    ApplyMask(e, limit, logits, n, &saved_);
    std::fill(logits + std::max<int64_t>(n, 0), logits + std::max<int64_t>(vocab, 0),
              -std::numeric_limits<float>::infinity());
  }

  Status Accept(int32_t token) override {
    const Machine& m = cc_->machine();
    const VocabTrie& trie = cc_->trie();
    if (std::find(trie.eos_ids.begin(), trie.eos_ids.end(), token) != trie.eos_ids.end()) {
      if (!m.CanEnd(state_)) {
        return FailedPreconditionError("constrained decoding: end-of-sequence token " +
                                       std::to_string(token) + " before the output is complete");
      }
      state_ = State{};  // Part::kDone
      return Status::Ok();
    }
    const std::string_view bytes = trie.Bytes(token);
    if (bytes.empty()) {
      return FailedPreconditionError("constrained decoding: token " + std::to_string(token) +
                                     " is a special/added or unknown token, never allowed");
    }
    State next = state_;
    for (char c : bytes) {
      if (!m.Step(&next, static_cast<uint8_t>(c))) {
        return FailedPreconditionError("constrained decoding: token " + std::to_string(token) +
                                       " (" + Printable(bytes) +
                                       ") cannot continue the output here");
      }
    }
    state_ = next;
    return Status::Ok();
  }

  bool IsComplete() const override {
    const Machine& m = cc_->machine();
    return state_.part == Part::kDone || (m.CanEnd(state_) && !m.HasContinuation(state_));
  }

  int64_t MinTokensToComplete() const override { return cc_->machine().MinBytes(state_); }

 private:
  static std::string Printable(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
      if (c >= 0x20 && c < 0x7F) {
        out += static_cast<char>(c);
      } else {
        static const char* kHex = "0123456789abcdef";
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }

  // The mask entry for the current state: the last one, the shared cache, or computed.
  const MaskEntry& Entry() {
    cc_->machine().Key(state_, &key_);
    if (entry_ && key_ == entry_key_) return *entry_;
    std::shared_ptr<const MaskEntry> e = cc_->Find(key_);
    if (!e) {
      auto fresh = std::make_shared<MaskEntry>();
      ComputeMask(cc_->machine(), cc_->trie(), state_, &scratch_, fresh.get());
      cc_->Insert(key_, fresh);
      e = std::move(fresh);
    }
    entry_ = std::move(e);
    entry_key_ = key_;
    return *entry_;
  }

  std::shared_ptr<CompiledConstraint> cc_;
  State state_;
  std::string key_;
  std::string entry_key_;
  std::shared_ptr<const MaskEntry> entry_;
  WalkScratch scratch_;
  std::vector<float> saved_;
};

std::string CacheKey(const Constraint& c, const VocabTrie& trie) {
  std::string key = trie.fingerprint.ToHex();
  for (const std::string* s : {&c.free_text_until, &c.prefix, &c.json_schema, &c.suffix}) {
    key += std::to_string(s->size()) + ":" + *s;
  }
  return key;
}

}  // namespace
}  // namespace constraint

StatusOr<std::unique_ptr<TokenMatcher>> CompileConstraint(const Constraint& constraint,
                                                          const Tokenizer& tokenizer) {
  using constraint::CompiledConstraint;
  // Compiled constraints (and their mask caches) are shared by every matcher of the same
  // constraint text and vocabulary: a batch of grounding calls fills one cache.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<CompiledConstraint>> cache;
  std::shared_ptr<const constraint::VocabTrie> trie = constraint::GetVocabTrie(tokenizer);
  const std::string key = constraint::CacheKey(constraint, *trie);
  std::shared_ptr<CompiledConstraint> cc;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) cc = it->second;
  }
  if (!cc) {
    CORGI_ASSIGN_OR_RETURN(std::shared_ptr<const constraint::Grammar> grammar,
                           constraint::CompileGrammar(constraint));
    cc = std::make_shared<CompiledConstraint>(std::move(grammar), trie);
    std::lock_guard<std::mutex> lock(mu);
    if (cache.size() >= 32) cache.clear();
    cache.emplace(key, cc);
  }
  return std::unique_ptr<TokenMatcher>(std::make_unique<constraint::GrammarMatcher>(std::move(cc)));
}

}  // namespace corgi
