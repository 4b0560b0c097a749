// Grammar-constrained decoding: what a request may generate, and the matcher that
// masks invalid tokens at each step so the output always satisfies it.
//
// A Constraint describes the whole completion as up to four consecutive parts:
//   [free text ending with `free_text_until`] [`prefix`] [JSON value per `json_schema`] [`suffix`]
// For the reasoning call: free_text_until = "</THINKING>", prefix = "\n<STRUCTURED_STEPS>",
// a steps schema, suffix = "</STRUCTURED_STEPS>". For grounding/synthesis: just a schema.
// After the last part the matcher is complete and generation ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "corgi/core/status.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi {

struct Constraint {
  std::string free_text_until;  // empty: no free-text part
  std::string prefix;           // literal, may be empty
  std::string json_schema;      // JSON Schema text (the supported subset); empty: no JSON part
  std::string suffix;           // literal, may be empty
  bool empty() const {
    return free_text_until.empty() && prefix.empty() && json_schema.empty() && suffix.empty();
  }
};

// The per-sequence matcher compiled from a Constraint. Not thread-safe; one per sequence.
class TokenMatcher {
 public:
  virtual ~TokenMatcher() = default;
  // Sets logits[t] = -inf for every token t in [0, vocab) that cannot continue a valid
  // completion. `remaining` is the token budget left including this step: when it gets
  // tight the matcher allows only tokens on a shortest path to completion, so the output
  // is complete and valid even when the budget ends it.
  virtual void MaskLogits(float* logits, int64_t vocab, int64_t remaining) = 0;
  // Advances over a sampled token. FailedPrecondition if the token was not allowed.
  virtual Status Accept(int32_t token) = 0;
  // True when the completion satisfies the constraint and nothing more may follow.
  virtual bool IsComplete() const = 0;
  // Tokens needed at least to complete from the current state.
  virtual int64_t MinTokensToComplete() const = 0;
};

// Compiles `constraint` against the tokenizer's vocabulary (token byte strings).
// InvalidArgument for a schema outside the supported subset (named in the message).
// The compiled per-vocabulary tables are cached inside so repeated compiles are cheap.
StatusOr<std::unique_ptr<TokenMatcher>> CompileConstraint(const Constraint& constraint, const Tokenizer& tokenizer);

}  // namespace corgi
