// The byte-level parser behind a TokenMatcher: a small fixed-size State and the
// functions that advance it one byte, measure the shortest completion, and tell which
// bytes leave it unchanged. The grammar is not recursive (JSON Schema without $ref), so
// the state is a bounded stack of frames: root, then one frame per open JSON value.
#pragma once

#include <cstdint>
#include <string>

#include "engine/constraint/grammar.h"
#include "engine/constraint/utf8_state.h"
#include "engine/constraint/vocab_trie.h"

namespace corgi::constraint {

enum class Part : uint8_t { kFree, kPrefix, kJson, kSuffix, kDone };

// Index used in Frame::node for the root frame (not a schema node).
inline constexpr uint16_t kRootNode = 0xFFFF;

struct Frame {
  uint16_t node = 0;  // schema node, or kRootNode
  uint8_t phase = 0;  // per kind, see machine.cc
  uint8_t ws = 0;     // whitespace in the current slot; number: '-' read; \u: first was D
  uint16_t x = 0;     // object: next candidate property; array: items; string: chars;
                      // number: integer digits
  uint16_t y = 0;     // object: key trie node or property; literal: trie node;
                      // number: fraction digits; string: \u digits read
};

struct State {
  Part part = Part::kDone;
  uint8_t depth = 0;  // frames in use (JSON part only)
  uint8_t utf8 = 0;   // Utf8Step state (free text and strings)
  uint8_t tag = 0;    // free-text tag DFA state
  uint16_t pos = 0;   // prefix/suffix bytes matched
  uint16_t unused = 0;
  int64_t num_int = 0;   // the open number's integer part
  int64_t num_frac = 0;  // and its fraction digits as an integer
  Frame frames[kMaxDepth];
};

// Stateless helper bound to one grammar. All methods are const and thread-safe.
class Machine {
 public:
  explicit Machine(const Grammar* grammar) : g_(grammar) {}

  State Initial() const;
  // Advances `s` over byte `b`; false when `b` cannot continue (then `s` is garbage).
  bool Step(State* s, uint8_t b) const;
  // Fewest bytes that complete the output from `s` (0: `s` may end here).
  int64_t MinBytes(const State& s) const;
  bool CanEnd(const State& s) const { return MinBytes(s) == 0; }
  // True when some byte can follow `s`.
  bool HasContinuation(const State& s) const;
  // Bytes that leave `s` as it is, for accepting whole trie subtrees at once: `ascii`
  // bytes keep `s` exactly; with `utf8_text`, bytes >= 0x80 change only s.utf8.
  struct PlainRun {
    AsciiSet ascii;
    bool utf8_text = false;
  };
  PlainRun Plain(const State& s) const;
  // The bytes that identify `s` (for caching masks by state).
  void Key(const State& s, std::string* out) const;

 private:
  void EnterPart(State* s, Part part) const;
  bool StepJson(State* s, uint8_t b) const;
  bool StepRoot(State* s, Frame& f, uint8_t b) const;
  bool StepObject(State* s, Frame& f, uint8_t b) const;
  bool StepFreeObject(State* s, Frame& f, uint8_t b) const;
  bool StepArray(State* s, Frame& f, uint8_t b) const;
  bool StepString(State* s, Frame& f, uint8_t b) const;
  bool StepNumber(State* s, Frame& f, uint8_t b) const;
  bool StepLiteral(State* s, Frame& f, uint8_t b) const;
  bool BeginValue(State* s, int32_t node, uint8_t b) const;
  void PopValue(State* s) const;
  int64_t NumberCost(const State& s, const Frame& f) const;
  int64_t TopCost(const State& s, const Frame& f) const;
  int64_t AfterChildCost(const Frame& f) const;
  int64_t KeyCost(const Node& n, const Frame& f) const;

  const Grammar* g_;
};

}  // namespace corgi::constraint
