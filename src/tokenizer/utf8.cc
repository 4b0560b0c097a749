#include "corgi/tokenizer/utf8.h"

#include <cstdint>

#include "corgi/core/check.h"

namespace corgi {
namespace {

// Result of examining the sequence that starts at p[0].
struct SeqScan {
  size_t length;   // bytes consumed: the whole character, or the maximal invalid subpart
  bool valid;      // a complete, well-formed character
  bool truncated;  // invalid only because the input ended (a valid prefix of a character)
};

// Unicode Table 3-7: the allowed range of the second byte depends on the lead byte.
SeqScan ScanSequence(const uint8_t* p, size_t avail) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return {1, true, false};
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // excludes surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // excludes > U+10FFFF
  } else {
    return {1, false, false};  // 80..C1, F5..FF can never start a character
  }
  for (size_t k = 1; k < need; ++k) {
    if (k >= avail) return {k, false, true};
    const uint8_t b = p[k];
    const bool ok = (k == 1) ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return {k, false, false};
  }
  return {need, true, false};
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      __builtin_memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    const SeqScan s = ScanSequence(p + i, n - i);
    if (!s.valid) return false;
    i += s.length;
  }
  return true;
}

std::string Utf8Sanitize(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  std::string out;
  out.reserve(n + 8);
  size_t i = 0;
  while (i < n) {
    const SeqScan s = ScanSequence(p + i, n - i);
    if (s.valid) {
      out.append(bytes.data() + i, s.length);
    } else {
      out.append("\xEF\xBF\xBD");
    }
    i += s.length;
  }
  return out;
}

size_t Utf8CompletePrefixLength(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  // Only the last character can be incomplete; it starts at most 3 bytes before the end.
  const size_t first = n > 3 ? n - 3 : 0;
  for (size_t start = first; start < n; ++start) {
    if ((p[start] & 0xC0) == 0x80) continue;  // continuation byte: not a start
    const SeqScan s = ScanSequence(p + start, n - start);
    if (s.truncated) return start;
  }
  return n;
}

void AppendUtf8(char32_t cp, std::string* out) {
  CORGI_DCHECK(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace corgi
