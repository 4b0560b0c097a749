// The Qwen byte-level BPE tokenizer (Qwen2, Qwen2.5, Qwen3, Qwen2.5-VL, Qwen3-VL), read
// from a Hugging Face tokenizer.json.
//
//   StatusOr<Tokenizer> tok = Tokenizer::Load("/models/qwen3-vl-2b");  // dir or .json
//   std::vector<int32_t> ids = tok->Encode("<|im_start|>user\nHi<|im_end|>");
//   StatusOr<std::string> text = tok->Decode(ids, /*skip_special=*/true);
//
// Encoding, as Hugging Face tokenizers does it for these files (spec §7): split on the
// added tokens (exact, leftmost-longest, never normalized), NFC-normalize the rest, split
// with the Qwen2 pre-tokenizer, map bytes to the GPT-2 alphabet, merge by BPE rank.
// No BOS/EOS is added. Bytes that are not valid UTF-8 are first replaced by U+FFFD (one
// per maximal invalid subsequence), so Encode never fails.
//
// Thread-safety: a loaded Tokenizer is immutable except for its word cache (one per
// instance, sharded, each shard behind a mutex); Encode, Decode and every accessor may be
// called concurrently from any number of threads. Movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/status.h"

namespace corgi {

namespace internal {
struct TokenizerData;
}  // namespace internal

struct TokenizerOptions {
  // Distinct words whose BPE result is remembered (0 disables the cache). About 50 bytes
  // each; the default costs under 2 MB and covers the working vocabulary of English text.
  size_t word_cache_capacity = 1 << 15;
};

// An entry of tokenizer.json's "added_tokens".
struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;  // skipped by Decode(..., skip_special = true)
};

// Ids of the control tokens the chat template and the engine use; -1 when the tokenizer
// does not have the token (e.g. think/think_end before Qwen3).
struct SpecialTokenIds {
  int32_t endoftext = -1;     // <|endoftext|>      151643
  int32_t im_start = -1;      // <|im_start|>       151644
  int32_t im_end = -1;        // <|im_end|>         151645
  int32_t vision_start = -1;  // <|vision_start|>   151652
  int32_t vision_end = -1;    // <|vision_end|>     151653
  int32_t vision_pad = -1;    // <|vision_pad|>     151654
  int32_t image_pad = -1;     // <|image_pad|>      151655
  int32_t video_pad = -1;     // <|video_pad|>      151656
  int32_t think = -1;         // <think>            151667 (Qwen3)
  int32_t think_end = -1;     // </think>           151668 (Qwen3)
};

// Largest tokenizer.json Load reads (Qwen's is ~11 MB).
inline constexpr int64_t kMaxTokenizerJsonBytes = int64_t{256} << 20;

class Tokenizer {
 public:
  // Loads `path`: a checkpoint directory (its tokenizer.json is read) or a tokenizer.json
  // file, read into memory (at most kMaxTokenizerJsonBytes; JSON nested at most
  // kMaxJsonDepth levels). Errors: NotFound/IoError/InvalidArgument (file: missing, symlink
  // loop, a FIFO or directory; read_file.h), ResourceExhausted (over the size cap),
  // DataLoss (bad or too deeply nested JSON, a merge or added token that
  // does not fit the vocabulary, missing byte tokens), Unimplemented (a model, normalizer,
  // pre-tokenizer or token option other than Qwen's; the message names it). A missing
  // pre_tokenizer is taken to be Qwen2's; a missing normalizer means no normalization.
  static StatusOr<Tokenizer> Load(const std::string& path, const TokenizerOptions& options = {});
  // The same from tokenizer.json's text (`source` names it in error messages).
  static StatusOr<Tokenizer> FromJson(std::string_view json, const std::string& source,
                                      const TokenizerOptions& options = {});

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Text -> ids; added tokens in `text` (e.g. "<|im_start|>") become their ids.
  std::vector<int32_t> Encode(std::string_view text) const;
  // The same, appended to `ids`.
  void EncodeAppend(std::string_view text, std::vector<int32_t>* ids) const;
  // Text -> ids with no added-token splitting: "<|im_end|>" is encoded as plain text.
  void EncodeOrdinaryAppend(std::string_view text, std::vector<int32_t>* ids) const;

  // Ids -> text: the tokens' bytes concatenated, invalid UTF-8 replaced by U+FFFD; tokens
  // flagged special are left out when `skip_special`. InvalidArgument on an id outside
  // [0, vocab_size()) or in a hole of the id space.
  StatusOr<std::string> Decode(std::span<const int32_t> ids, bool skip_special) const;

  // The raw bytes token `id` stands for (not necessarily valid UTF-8 on its own), or
  // nullopt for an unknown id. The view lives as long as the Tokenizer.
  std::optional<std::string_view> TokenBytes(int32_t id) const;

  // Lookup in the vocabulary's own spelling: byte-level alphabet for regular tokens
  // ("Ġworld" is " world"), the literal content for added tokens ("<|im_end|>").
  std::optional<int32_t> TokenToId(std::string_view token) const;
  std::optional<std::string> IdToToken(int32_t id) const;

  // One more than the largest id (151669 for Qwen3: 151643 regular + 26 added). The model's
  // embedding is usually larger (padded); ids beyond this are not tokens.
  int32_t vocab_size() const;
  bool IsSpecial(int32_t id) const;  // false for unknown ids
  const std::vector<AddedToken>& added_tokens() const;
  const SpecialTokenIds& special_ids() const;

  // Drops all cached words (for benchmarks). Thread-safe.
  void ClearCache() const;

 private:
  explicit Tokenizer(std::unique_ptr<internal::TokenizerData> data);
  void EncodeWord(std::string_view word, std::vector<int32_t>* ids,
                  std::vector<int32_t>* scratch) const;

  std::unique_ptr<internal::TokenizerData> data_;
};

// Turns a stream of ids into text pieces that are always whole UTF-8 characters, for
// streaming output: a character split across tokens is held back until it is complete.
// The concatenation of all Push results and Finish equals Decode of all the ids.
// Thread-safety: one instance per stream; the Tokenizer must outlive it.
class TokenStreamDecoder {
 public:
  TokenStreamDecoder(const Tokenizer* tokenizer, bool skip_special)
      : tokenizer_(tokenizer), skip_special_(skip_special) {}
  // The text that became complete with `id` (often empty). InvalidArgument on unknown ids.
  StatusOr<std::string> Push(int32_t id);
  // Whatever is still held (an incomplete character becomes U+FFFD); resets the decoder.
  std::string Finish();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace corgi
