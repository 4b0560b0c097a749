// UTF-8 helpers shared by the tokenizer and the streaming detokenizer.
//
// Invalid input is replaced, never rejected: each maximal invalid subsequence (Unicode
// §3.9 "best practice", the rule of Rust's String::from_utf8_lossy and Python's
// errors="replace") becomes one U+FFFD. This is what Hugging Face's ByteLevel decoder does.
//
// Streaming (the engine emits one token at a time and a character may span tokens):
//
//   std::string pending;                         // bytes not yet shown
//   pending += token_bytes;
//   size_t n = Utf8CompletePrefixLength(pending);
//   Show(Utf8Sanitize(std::string_view(pending).substr(0, n)));
//   pending.erase(0, n);                         // at the end: Show(Utf8Sanitize(pending))
//
// TokenStreamDecoder (tokenizer.h) wraps exactly this.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace corgi {

// True if `bytes` is well-formed UTF-8 (no surrogates, no overlongs, <= U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

// Returns `bytes` with each maximal invalid subsequence replaced by U+FFFD (EF BF BD).
// Valid input is returned unchanged.
std::string Utf8Sanitize(std::string_view bytes);

// Length of the longest prefix of `bytes` that does not end inside a character that later
// bytes could still complete. The bytes after it (at most 3) are a valid but truncated
// start of a multi-byte character; keep them and retry when more bytes arrive. Invalid
// bytes are never held back (Utf8Sanitize replaces them), so the result is at least
// bytes.size() - 3.
size_t Utf8CompletePrefixLength(std::string_view bytes);

// Appends the UTF-8 encoding of `code_point` (must be <= U+10FFFF, not a surrogate).
void AppendUtf8(char32_t code_point, std::string* out);

}  // namespace corgi
