// Everything a loaded Tokenizer holds. Filled once by tokenizer_json.cc, then read-only
// (except the internally synchronized word cache).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "corgi/tokenizer/tokenizer.h"
#include "tokenizer/bpe.h"

namespace corgi::internal {

// Finds added tokens in text: leftmost match, longest at that position (the
// leftmost-longest rule of HF's Aho-Corasick matcher).
class AddedTokenMatcher {
 public:
  struct Match {
    size_t pos = std::string_view::npos;  // npos: none
    size_t length = 0;
    int32_t id = -1;
  };
  void Build(const std::vector<AddedToken>& tokens);
  Match FindFirst(std::string_view text, size_t from) const;

 private:
  struct Candidate {
    std::string content;
    int32_t id;
  };
  std::array<std::vector<Candidate>, 256> by_first_byte_;  // longest first
  std::string first_bytes_;                                // distinct first bytes
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

struct TokenizerData {
  std::vector<std::string> vocab_spelling;  // regular id -> byte-level spelling ("" = hole)
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> spelling_to_id;
  MergeTable merges;
  bool nfc = true;                      // normalizer is NFC (else none)
  bool ignore_merges = false;           // tokenizer.json model.ignore_merges
  std::array<int32_t, 256> byte_ids{};  // byte -> id of its single-byte token
  std::vector<AddedToken> added_tokens;
  AddedTokenMatcher added_matcher;
  SpecialTokenIds special_ids;
  // Per id, [vocab_size]:
  std::vector<uint8_t> id_known;  // 0 for holes in the id space
  std::vector<uint8_t> is_special;
  std::vector<uint32_t> bytes_offset;  // [vocab_size + 1] into token_bytes
  std::string token_bytes;             // all tokens' raw bytes, back to back
  std::unique_ptr<WordCache> cache;    // null when disabled

  int32_t vocab_size() const { return static_cast<int32_t>(id_known.size()); }
  std::string_view Bytes(int32_t id) const {
    return std::string_view(token_bytes)
        .substr(bytes_offset[id], bytes_offset[id + 1] - bytes_offset[id]);
  }
};

// Parses tokenizer.json text into `data` (everything but the cache). See Tokenizer::Load
// for the errors.
Status ParseTokenizerJson(std::string_view json, TokenizerData* data);

}  // namespace corgi::internal
