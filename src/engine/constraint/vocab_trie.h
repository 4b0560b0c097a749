// The tokenizer's vocabulary as a byte trie laid out in preorder, built once per
// vocabulary and shared by every grammar compiled against it.
//
// Preorder layout: node i's subtree is the index range [i, subtree_end[i]); a walk
// visits i + 1 to descend and jumps to subtree_end[i] to skip. Each node also records
// which ASCII bytes occur below it and from which UTF-8 states the tokens below read
// validly, so a walk can accept a whole subtree at once when its bytes leave the
// grammar state unchanged but for UTF-8 progress (plain text inside a string).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/tokenizer/tokenizer.h"
#include "engine/constraint/utf8_state.h"

namespace corgi::constraint {

// A set of ASCII bytes (0..127) as two 64-bit words.
struct AsciiSet {
  uint64_t lo = 0;  // bytes 0..63
  uint64_t hi = 0;  // bytes 64..127
  void Add(uint8_t b) { (b < 64 ? lo : hi) |= uint64_t{1} << (b & 63); }
  bool Has(uint8_t b) const { return b < 128 && (((b < 64 ? lo : hi) >> (b & 63)) & 1) != 0; }
  bool SubsetOf(const AsciiSet& o) const { return (lo & ~o.lo) == 0 && (hi & ~o.hi) == 0; }
  void Union(const AsciiSet& o) { lo |= o.lo, hi |= o.hi; }
};

struct VocabTrie {
  // Per node, in preorder. Node 0 is the root (empty string, no token).
  std::vector<uint8_t> byte;             // edge byte from the parent
  std::vector<uint16_t> depth;           // bytes from the root (root 0)
  std::vector<int32_t> subtree_end;      // one past the last node of the subtree
  std::vector<int32_t> token;            // token id ending here, or -1
  std::vector<int32_t> token_begin;      // preorder-token range of the subtree: indexes into
  std::vector<int32_t> token_end;        //   `tokens_in_order`
  std::vector<AsciiSet> below_ascii;     // ASCII bytes on edges strictly below the node
  std::vector<uint8_t> below_non_ascii;  // 1 if a byte >= 0x80 occurs strictly below
  // Bit u (a Utf8Step state): every token strictly below the node continues validly
  // when its bytes after the node are read from UTF-8 state u.
  std::vector<uint32_t> below_utf8_ok;
  std::vector<int32_t> tokens_in_order;  // token ids in preorder
  // Per entry of tokens_in_order: length, index of the last byte that is not a UTF-8
  // continuation byte (-1 if none) and the UTF-8 state after reading from that byte.
  std::vector<uint16_t> order_len;
  std::vector<int16_t> order_last_lead;
  std::vector<uint8_t> order_tail;

  int32_t vocab_size = 0;        // the tokenizer's vocab_size()
  int32_t max_token_bytes = 0;   // longest regular token
  int32_t num_tokens = 0;        // regular tokens in the trie
  std::vector<int32_t> eos_ids;  // <|im_end|>, <|endoftext|> (those present)
  Hash128 fingerprint;           // of every token's id and bytes, and the added tokens

  // Bytes of regular token `id` (in the trie); empty for added tokens, holes and ids
  // out of range.
  std::string_view Bytes(int32_t id) const {
    if (id < 0 || id >= vocab_size) return {};
    return std::string_view(all_bytes).substr(byte_offset[id],
                                              byte_offset[id + 1] - byte_offset[id]);
  }
  std::string all_bytes;              // regular tokens' bytes by id
  std::vector<uint32_t> byte_offset;  // [vocab_size + 1]

  int32_t num_nodes() const { return static_cast<int32_t>(byte.size()); }
};

// The trie for `tokenizer`: built on first use, then served from a process-wide cache
// keyed by the vocabulary's content fingerprint (so a reloaded or moved tokenizer with
// the same vocabulary reuses it). Added tokens (special or not) are left out: they are
// never allowed inside a constrained completion. Thread-safe.
std::shared_ptr<const VocabTrie> GetVocabTrie(const Tokenizer& tokenizer);

}  // namespace corgi::constraint
