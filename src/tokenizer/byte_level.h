// GPT-2's bytes_to_unicode: the reversible map from raw bytes to printable characters
// that byte-level BPE vocabularies are written in. Bytes 33-126, 161-172 and 174-255 map
// to the same code point; the other 68 bytes map to U+0100, U+0101, ... in byte order
// (so ' ' (0x20) is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corgi::internal {

// The code point that byte `b` is written as.
char32_t ByteToCodePoint(uint8_t b);

// The byte written as `code_point`, or nullopt if it is not in the map.
std::optional<uint8_t> CodePointToByte(char32_t code_point);

// Raw bytes -> the vocabulary's spelling (UTF-8 of the mapped code points).
std::string BytesToVocabSpelling(std::string_view bytes);

// The vocabulary's spelling -> raw bytes; nullopt if `spelling` is not valid UTF-8 or has
// a character outside the map (such tokens are decoded as their literal UTF-8 instead,
// as Hugging Face's ByteLevel decoder does).
std::optional<std::string> VocabSpellingToBytes(std::string_view spelling);

}  // namespace corgi::internal
