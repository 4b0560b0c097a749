#include "pipeline/ocr/text_metrics.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>

namespace corgi::pipeline {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes UTF-8; each byte that does not start a valid sequence becomes U+FFFD.
std::u32string DecodeLenient(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(utf8.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {
      out.push_back(kReplacement);
      n = 1;
    } else {
      out.push_back(static_cast<char32_t>(cp));
    }
    p += n;
    left -= n;
  }
  return out;
}

// NFC over valid code points (DecodeLenient guarantees validity).
std::u32string ComposeNfc(const std::u32string& cps) {
  if (cps.empty()) return cps;
  std::string utf8;
  utf8.reserve(cps.size() * 2);
  utf8proc_uint8_t buf[4];
  for (char32_t c : cps) {
    utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
    utf8.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  }
  utf8proc_uint8_t* mapped = nullptr;
  utf8proc_ssize_t len =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                   static_cast<utf8proc_ssize_t>(utf8.size()), &mapped,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (len < 0 || mapped == nullptr) return cps;  // cannot happen on valid input
  std::u32string out =
      DecodeLenient(std::string_view(reinterpret_cast<char*>(mapped), static_cast<size_t>(len)));
  std::free(mapped);
  return out;
}

bool IsSpace(char32_t c) {
  if (c == ' ' || (c >= '\t' && c <= '\r')) return true;
  if (c < 0x80) return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return true;
    default:
      return c == 0x85;  // NEL is a control character but a line break
  }
}

// Two-row dynamic programme; `a` is the longer sequence so the rows are short.
template <typename Seq>
int64_t Levenshtein(const Seq& a_in, const Seq& b_in) {
  const Seq& a = a_in.size() >= b_in.size() ? a_in : b_in;
  const Seq& b = a_in.size() >= b_in.size() ? b_in : a_in;
  const size_t m = b.size();
  std::vector<int64_t> prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= m; ++j) {
      int64_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
    }
    std::swap(prev, cur);
  }
  return prev[m];
}

double Rate(int64_t edits, int64_t length) {
  return static_cast<double>(edits) / static_cast<double>(std::max<int64_t>(1, length));
}

}  // namespace

std::u32string NormalizeForComparison(std::string_view utf8) {
  std::u32string composed = ComposeNfc(DecodeLenient(utf8));
  std::u32string out;
  out.reserve(composed.size());
  bool pending_space = false;
  for (char32_t c : composed) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(U' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::u32string> SplitWords(const std::u32string& normalized) {
  std::vector<std::u32string> words;
  size_t start = 0;
  while (start < normalized.size()) {
    size_t end = normalized.find(U' ', start);
    if (end == std::u32string::npos) end = normalized.size();
    if (end > start) words.emplace_back(normalized.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

int64_t EditDistance(const std::u32string& a, const std::u32string& b) { return Levenshtein(a, b); }

int64_t EditDistance(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b) {
  return Levenshtein(a, b);
}

TextErrorRates CompareText(std::string_view reference, std::string_view hypothesis) {
  std::u32string ref = NormalizeForComparison(reference);
  std::u32string hyp = NormalizeForComparison(hypothesis);
  std::vector<std::u32string> ref_words = SplitWords(ref);
  std::vector<std::u32string> hyp_words = SplitWords(hyp);
  TextErrorRates r;
  r.char_edits = EditDistance(ref, hyp);
  r.reference_chars = static_cast<int64_t>(ref.size());
  r.word_edits = EditDistance(ref_words, hyp_words);
  r.reference_words = static_cast<int64_t>(ref_words.size());
  r.cer = Rate(r.char_edits, r.reference_chars);
  r.wer = Rate(r.word_edits, r.reference_words);
  return r;
}

}  // namespace corgi::pipeline
