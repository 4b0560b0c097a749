// The Qwen2 pre-tokenizer: splits normalized text into the pieces BPE runs on.
//
// It implements, by hand over Unicode general categories (libutf8proc), the regex
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+
// with Hugging Face's "Isolated" split (every match is a piece; the regex matches at every
// position, so there are no gaps) and Oniguruma's semantics: leftmost alternative wins,
// \s is the Unicode White_Space property, (?i) folds U+017F 'ſ' to 's'. It splits English
// about 1.7x as fast as PCRE2 (JIT, UTF+UCP) runs the same pattern, and PCRE2's \s also
// differs from Oniguruma's (it adds U+180E); see docs/PERFORMANCE.md. Categories come from
// utf8proc's tables (Unicode 15.0 in Debian 12), so characters assigned later (Unicode 16
// scripts) are "other" here but letters to a newer Oniguruma.
#pragma once

#include <string_view>
#include <vector>

namespace corgi::internal {

// The pattern above, exactly as Qwen's tokenizer.json spells it.
extern const char kQwen2PretokenizerRegex[];

// Appends the pieces of `text` (valid UTF-8) to `pieces`, in order; they concatenate to
// `text`. Thread-safe.
void SplitQwen2(std::string_view text, std::vector<std::string_view>* pieces);

}  // namespace corgi::internal
