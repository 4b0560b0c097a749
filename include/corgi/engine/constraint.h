// Grammar-constrained decoding: the matcher that masks invalid tokens at each step so the
// output always satisfies a request's Constraint (corgi/request/constraint.h).
//
// A Constraint describes the whole completion as up to four consecutive parts:
//   [free text ending with `free_text_until`] [`prefix`] [JSON value per `json_schema`] [`suffix`]
// For the reasoning call: free_text_until = "</THINKING>", prefix = "\n<STRUCTURED_STEPS>",
// a steps schema, suffix = "</STRUCTURED_STEPS>". For grounding/synthesis: just a schema.
// After the last part the matcher is complete and generation ends.
//
// What the generated text looks like (src/engine/constraint/grammar.h has the details):
//   - free text: any valid UTF-8, ended by the first occurrence of `free_text_until`;
//   - JSON: compact — at most 2 bytes of whitespace (space, \n, \t) wherever JSON allows
//     whitespace (after the root value only when a suffix follows); object properties in
//     the schema's declared order, optional ones may be left out, no others; numbers
//     without exponent (integers up to 18 digits, numbers up to 12.6 digits), no "-0";
//     strings valid UTF-8 with the standard escapes (no \u surrogates);
//   - free values: a schema with no type (nor keywords implying one) is any JSON value,
//     and an object without properties (unless additionalProperties is false) has any
//     string keys with any values (or values per an additionalProperties schema) — this
//     is OpenAI's json_object mode; free values nest at most 8 arrays/objects deep;
//   - supported schema keywords: type (string or list), properties, required,
//     additionalProperties (implied false with properties; true or a schema only without
//     them), items (optional: any items), minItems, maxItems,
//     minLength, maxLength (code points), minimum, maximum, enum and const (scalars),
//     anyOf (branches must differ in their first byte; enum/const/boolean/null branches
//     merge), plus the annotations title, description, default, examples, $schema,
//     $id, $comment (ignored). Anything else is InvalidArgument naming the keyword.
// Added/special tokens (<|im_end|>, <think>, ...) are never allowed inside the parts.
// End of sequence: <|im_end|> and <|endoftext|> are allowed exactly when the output so
// far is complete (MinTokensToComplete() == 0); Accept of one of them then marks the
// matcher complete. For every constraint with a closing literal or a closing bracket the
// matcher is complete as soon as that byte is accepted, so the engine stops by itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "corgi/core/status.h"
#include "corgi/request/constraint.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi {

// The per-sequence matcher compiled from a Constraint. Not thread-safe; one per sequence
// (matchers of the same constraint share an internal, thread-safe mask cache).
//
// Decode-loop contract, per step with `remaining` tokens of budget left (this step
// included): if IsComplete(), stop; else MaskLogits(logits, vocab, remaining), sample,
// Accept(token). When the first MaskLogits of a sequence sees remaining >=
// MinTokensToComplete(), the loop ends complete within the budget: a token is allowed
// only if 1 + (tokens it leaves to complete) <= remaining, counting one token per byte
// of the shortest completion (every byte is a token of its own in byte-level BPE, so
// that count is always achievable).
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
  // Tokens that always suffice to complete from the current state: the byte length of
  // the shortest completion (an upper bound on the fewest tokens; 0 when the output may
  // end here).
  virtual int64_t MinTokensToComplete() const = 0;
};

// Compiles `constraint` against the tokenizer's vocabulary (token byte strings).
// InvalidArgument for an empty constraint or a schema outside the supported subset
// (named in the message, with its place in the schema, e.g. "at schema.properties.x").
// The per-vocabulary trie (keyed by the vocabulary's content) and the compiled
// constraint with its mask cache (keyed by constraint text) are cached process-wide, so
// repeated compiles cost a vocabulary fingerprint (~7 ms) and a lookup. The tokenizer
// need not outlive the matcher. Thread-safe.
StatusOr<std::unique_ptr<TokenMatcher>> CompileConstraint(const Constraint& constraint,
                                                          const Tokenizer& tokenizer);

}  // namespace corgi
