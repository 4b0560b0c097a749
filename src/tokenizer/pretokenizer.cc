#include "tokenizer/pretokenizer.h"

#include <utf8proc.h>

#include <array>
#include <cstdint>

namespace corgi::internal {

const char kQwen2PretokenizerRegex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

namespace {

// The classes the regex distinguishes. \s = kSpace | kNewline.
enum Class : uint8_t { kLetter, kNumber, kSpace, kNewline, kOther, kEnd };

struct Char {
  Class cls;
  uint8_t len;  // bytes
  char32_t cp;
};

constexpr std::array<Class, 128> MakeAsciiTable() {
  std::array<Class, 128> t{};
  for (int c = 0; c < 128; ++c) {
    Class k = kOther;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k = kLetter;
    if (c >= '0' && c <= '9') k = kNumber;
    if (c == '\t' || c == '\v' || c == '\f' || c == ' ') k = kSpace;
    if (c == '\r' || c == '\n') k = kNewline;
    t[c] = k;
  }
  return t;
}
constexpr std::array<Class, 128> kAscii = MakeAsciiTable();

// Unicode White_Space outside ASCII (Oniguruma's \s; PCRE2 would add U+180E).
bool IsUnicodeSpace(char32_t cp) {
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

Class ClassifyNonAscii(char32_t cp) {
  if (IsUnicodeSpace(cp)) return kSpace;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return kLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return kNumber;
    default:
      return kOther;
  }
}

// A cursor over valid UTF-8 (the caller sanitized it).
class Text {
 public:
  explicit Text(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), n_(s.size()) {}
  size_t size() const { return n_; }

  Char At(size_t i) const {
    if (i >= n_) return {kEnd, 0, 0};
    const uint8_t b = p_[i];
    if (b < 0x80) return {kAscii[b], 1, b};
    char32_t cp;
    uint8_t len;
    if (b < 0xE0) {
      cp = ((b & 0x1F) << 6) | (p_[i + 1] & 0x3F);
      len = 2;
    } else if (b < 0xF0) {
      cp = ((b & 0x0F) << 12) | ((p_[i + 1] & 0x3F) << 6) | (p_[i + 2] & 0x3F);
      len = 3;
    } else {
      cp = ((b & 0x07) << 18) | ((p_[i + 1] & 0x3F) << 12) | ((p_[i + 2] & 0x3F) << 6) |
           (p_[i + 3] & 0x3F);
      len = 4;
    }
    return {ClassifyNonAscii(cp), len, cp};
  }

  // End of the run of characters of class `cls` starting at i.
  size_t SkipClass(size_t i, Class cls) const {
    while (i < n_) {
      const Char c = At(i);
      if (c.cls != cls) break;
      i += c.len;
    }
    return i;
  }

  size_t SkipCrLf(size_t i) const {
    while (i < n_ && (p_[i] == '\r' || p_[i] == '\n')) ++i;
    return i;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

// Case-insensitive match of one ASCII letter (lowercase `lower`), plus U+017F for 's'.
bool FoldEquals(const Char& c, char lower) {
  if (c.cp == static_cast<char32_t>(lower) || c.cp == static_cast<char32_t>(lower - 32)) {
    return true;
  }
  return lower == 's' && c.cp == 0x17F;
}

// Bytes matched by (?i:'s|'t|'re|'ve|'m|'ll|'d) at i (where text[i] == '\''), or 0.
size_t MatchContraction(const Text& t, size_t i) {
  const Char c1 = t.At(i + 1);
  if (FoldEquals(c1, 's') || FoldEquals(c1, 't') || FoldEquals(c1, 'm') || FoldEquals(c1, 'd')) {
    return 1 + c1.len;
  }
  const Char c2 = t.At(i + 1 + c1.len);
  if ((FoldEquals(c1, 'r') && FoldEquals(c2, 'e')) ||
      (FoldEquals(c1, 'v') && FoldEquals(c2, 'e')) ||
      (FoldEquals(c1, 'l') && FoldEquals(c2, 'l'))) {
    return 1 + c1.len + c2.len;
  }
  return 0;
}

// The three whitespace alternatives, for a match starting at a \s character at i.
size_t MatchWhitespace(const Text& t, size_t i) {
  size_t end = i;
  size_t last_start = i;  // start of the run's last character
  size_t last_crlf = std::string_view::npos;
  while (true) {
    const Char c = t.At(end);
    if (c.cls != kSpace && c.cls != kNewline) break;
    if (c.cls == kNewline) last_crlf = end;
    last_start = end;
    end += c.len;
  }
  // \s*[\r\n]+ : backtracks to the last \r or \n of the run.
  if (last_crlf != std::string_view::npos) return last_crlf + 1;
  // \s+(?!\S) : the whole run at the end of text, else all but its last character.
  if (end == t.size() || last_start == i) return end;  // the latter is plain \s+
  return last_start;
}

// End of the piece that starts at i.
size_t NextPieceEnd(const Text& t, size_t i) {
  const Char c = t.At(i);
  if (c.cp == '\'') {
    const size_t k = MatchContraction(t, i);
    if (k != 0) return i + k;
  }
  if (c.cls == kLetter) return t.SkipClass(i, kLetter);
  if (c.cls == kSpace || c.cls == kOther) {
    if (t.At(i + c.len).cls == kLetter) return t.SkipClass(i + c.len, kLetter);
  }
  if (c.cls == kNumber) return i + c.len;
  // " ?[^\s\p{L}\p{N}]+[\r\n]*"
  size_t p = i;
  if (c.cp == ' ' && t.At(i + 1).cls == kOther) p = i + 1;
  if (t.At(p).cls == kOther) return t.SkipCrLf(t.SkipClass(p, kOther));
  return MatchWhitespace(t, i);
}

}  // namespace

void SplitQwen2(std::string_view text, std::vector<std::string_view>* pieces) {
  const Text t(text);
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = NextPieceEnd(t, i);
    pieces->push_back(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace corgi::internal
