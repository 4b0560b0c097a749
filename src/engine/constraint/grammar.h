// The compiled form of a Constraint: a tree of JSON value nodes (from the schema) plus
// the literal parts around it. Immutable after CompileGrammar; shared by all matchers
// of the same constraint.
//
// Generated JSON is compact and deterministic in shape:
//   - at most kMaxWhitespace bytes of insignificant whitespace (space, \n, \t) in each
//     place JSON allows it (after the root value only when a suffix follows), so every
//     completion is finite;
//   - object properties appear in declared order; optional ones may be left out;
//   - numbers: no exponent, at most kMaxIntegerDigits (integer) or kMaxNumberIntDigits
//     and kMaxFractionDigits (number) digits, no "-0";
//   - strings: valid UTF-8, escapes \" \\ \/ \b \f \n \r \t \uXXXX (no surrogates);
//   - free values (a schema without type, an object without properties): any JSON value
//     of the shapes above, nested at most kMaxFreeNesting arrays/objects deep (less when
//     the schema already nests deeply: kMaxDepth bounds the whole); free objects have any
//     string keys, in any order, repeats not checked.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/engine/constraint.h"
#include "engine/constraint/vocab_trie.h"

namespace corgi::constraint {

inline constexpr int kMaxWhitespace = 2;
inline constexpr int kMaxDepth = 12;  // nested arrays/objects/values, root included
inline constexpr int kMaxFreeNesting = 8;  // arrays/objects inside one free value
inline constexpr int kMaxIntegerDigits = 18;
inline constexpr int kMaxNumberIntDigits = 12;
inline constexpr int kMaxFractionDigits = 6;
inline constexpr int kMaxProperties = 64;
inline constexpr int kMaxCount = 65535;  // maxItems / maxLength ceiling
inline constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;

// Number parse phases (the frame's phase while a number is read).
enum NumPhase : uint8_t { kNumStart, kNumMinus, kNumZero, kNumInt, kNumDot, kNumFrac };

enum class NodeKind : uint8_t { kObject, kArray, kString, kInteger, kNumber, kLiterals, kAnyOf };

// A byte trie of literal strings (enum/const values, object keys).
struct LiteralTrie {
  struct TrieNode {
    int32_t edge_begin = 0, edge_end = 0;  // children: [edge_begin, edge_end) of `edges`
    int32_t depth = 0;
    int32_t terminal = -1;    // literal index ending here, or -1
    int64_t min_to_end = 0;   // shortest distance to a terminal below (or here)
    uint64_t below_mask = 0;  // bit i: literal i ends in this subtree (first 64 literals)
  };
  struct Edge {
    uint8_t byte;
    int32_t node;
  };
  std::vector<TrieNode> nodes;  // node 0 is the root
  std::vector<Edge> edges;
  std::vector<std::string> literals;

  // Builds the trie of `lits` (deduplicated by the caller).
  void Build(const std::vector<std::string>& lits);
  // The child of `node` along byte `b`, or -1.
  int32_t Child(int32_t node, uint8_t b) const {
    for (int32_t e = nodes[node].edge_begin; e < nodes[node].edge_end; ++e) {
      if (edges[e].byte == b) return edges[e].node;
    }
    return -1;
  }
  bool IsLeaf(int32_t node) const { return nodes[node].edge_begin == nodes[node].edge_end; }
};

struct Property {
  std::string name;
  std::string key;  // the JSON-quoted name, e.g. "\"index\""
  int32_t child = -1;
  bool required = false;
};

struct Node {
  NodeKind kind = NodeKind::kLiterals;
  int64_t min_bytes = 0;  // shortest serialization
  // kObject. A free object (free_key >= 0) has no props: its keys are any string
  // (parsed by the string node free_key) and every value is of node `item`.
  int32_t free_key = -1;
  std::vector<Property> props;
  LiteralTrie keys;                       // literal i = props[i].key
  std::vector<int32_t> last_allowed;      // [lo] -> highest prop index that may come next
  std::vector<int64_t> rest_after_value;  // [lo] -> bytes to close after a value, next >= lo
  std::vector<int64_t> key_min_from;      // [lo] -> bytes for key..value..close, key >= lo
  // True when a required property at index >= lo has not been written yet.
  bool RequiredFrom(int32_t lo) const {
    return lo < static_cast<int32_t>(props.size()) && props[last_allowed[lo]].required;
  }
  // kArray (and a free object's values)
  int32_t item = -1;
  int32_t min_items = 0;
  int32_t max_items = kMaxCount;
  // kString
  int32_t min_length = 0;
  int32_t max_length = -1;  // -1: unbounded (the character count is then saturated)
  // kInteger / kNumber: bounds on the magnitude, scaled by 10^kMaxFractionDigits for
  // numbers; separately for the positive and the negative side (empty when lo > hi).
  int64_t pos_lo = 0, pos_hi = -1;
  int64_t neg_lo = 0, neg_hi = -1;
  // kLiterals
  LiteralTrie literals;
  // kAnyOf: branch node per first byte (-1 none); branches are never kAnyOf.
  std::array<int32_t, 256> branch_by_byte{};
  std::vector<int32_t> branches;
};

struct Grammar {
  std::string free_text_until;  // empty: no free-text part
  std::string prefix;
  std::string suffix;
  bool has_json = false;
  int32_t root = -1;
  std::vector<Node> nodes;
  // Free text: a byte DFA that finds the first occurrence of `free_text_until`
  // (state = length of the longest tag prefix that ends the text), and the shortest
  // completion per (UTF-8 state, DFA state).
  std::vector<std::array<uint8_t, 256>> tag_dfa;
  std::vector<std::vector<int64_t>> free_min;  // [utf8 state][tag state]
  std::vector<AsciiSet> free_plain;            // [tag state] ASCII bytes that keep it
  std::vector<uint8_t> free_high_plain;        // [tag state] 1: bytes >= 0x80 keep it
  int64_t json_min = 0;                        // root value min_bytes (0 without JSON)
};

// Compiles a constraint. InvalidArgument for an empty constraint, a schema outside the
// subset (the message names the keyword and where it is), or literals too long.
StatusOr<std::shared_ptr<const Grammar>> CompileGrammar(const Constraint& constraint);

// Compiles just a JSON schema into `g->nodes`, setting g->root (schema.cc).
Status CompileSchema(const std::string& schema_text, Grammar* g);

// Shortest completion of a number node from a parse position (number.cc); -1 when no
// value within the bounds can be reached. `neg`: a '-' was read; `phase`: NumPhase.
int64_t NumberMinBytes(const Node& node, bool neg, int phase, int int_digits, int frac_digits,
                       int64_t int_value, int64_t frac_value);

}  // namespace corgi::constraint
