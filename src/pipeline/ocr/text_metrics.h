// Text-comparison metrics for OCR and reading tasks: Levenshtein distance, character
// error rate (CER) and word error rate (WER).
//
//   TextErrorRates r = CompareText(ground_truth, ocr.text);
//   // r.cer == r.char_edits / r.reference_chars
//
// Normalization (the same for both texts, and the only one applied):
//   1. UTF-8 is decoded to code points; an invalid byte becomes U+FFFD.
//   2. Unicode NFC composition (utf8proc), so "u + combining diaeresis" equals "ü".
//   3. Every run of whitespace (ASCII \t \n \v \f \r and space, and Unicode Zs/Zl/Zp)
//      becomes one U+0020; leading and trailing whitespace is removed.
// No case folding and no punctuation stripping: "Fox." vs "fox" is two edits.
// CER counts code-point insertions, deletions and substitutions (spaces included) over
// the normalized reference's code points; WER does the same over words (the normalized
// text split at spaces). An empty reference gives rate 0 when the hypothesis is empty
// too, else 1 (edits / max(1, length)).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corgi::pipeline {

// Steps 1–3 above, returned as code points.
std::u32string NormalizeForComparison(std::string_view utf8);

// The normalized text split at its spaces (no empty words).
std::vector<std::u32string> SplitWords(const std::u32string& normalized);

// Levenshtein distance (unit costs) between two sequences; O(|a|·|b|) time,
// O(min(|a|,|b|)) memory.
int64_t EditDistance(const std::u32string& a, const std::u32string& b);
int64_t EditDistance(const std::vector<std::u32string>& a, const std::vector<std::u32string>& b);

struct TextErrorRates {
  double cer = 0;  // char_edits / max(1, reference_chars)
  double wer = 0;  // word_edits / max(1, reference_words)
  int64_t char_edits = 0;
  int64_t reference_chars = 0;
  int64_t word_edits = 0;
  int64_t reference_words = 0;
};

// Compares `hypothesis` against `reference` after the normalization above.
TextErrorRates CompareText(std::string_view reference, std::string_view hypothesis);

}  // namespace corgi::pipeline
