// Bracket depth of JSON text, one byte at a time, ignoring brackets inside string
// literals (escapes included). Used where text must be checked or cut before a JSON
// parser sees it: the safetensors header's nesting limit, and the first complete
// {...} / [...] value in a model's free-form output.
//
// JsonNestingDepth / CheckJsonDepth: the one guard run on JSON text from outside (model
// output, replay and trace files, tokenizer.json, config.json, batch lines, HTTP bodies)
// before nlohmann parses it. nlohmann parses deep input iteratively, but dump(), copies and
// comparisons recurse, so a value 70,000 arrays deep overflows the stack later on.
#pragma once

#include <string_view>

#include "corgi/core/status.h"

namespace corgi {

// Nesting limit for JSON from outside: none of the formats corgi reads needs more than a
// dozen levels (tokenizer.json ~6, model output ~4), and 64 levels of recursion are cheap.
inline constexpr int kMaxJsonDepth = 64;

// The deepest bracket nesting in `text` (brackets inside strings ignored); 0 for a scalar.
// Stops scanning, returning a value > stop_above, as soon as the depth exceeds stop_above.
int JsonNestingDepth(std::string_view text, int stop_above = 1 << 30);

// Ok when `text` nests at most `max_depth` levels; else DataLoss
// "<what>: JSON nested deeper than <max_depth> levels (the limit)". Linear, no allocation.
Status CheckJsonDepth(std::string_view text, std::string_view what, int max_depth = kMaxJsonDepth);

class JsonDepthScanner {
 public:
  enum class Event { kNone, kOpen, kClose };

  // Feeds the next byte. kOpen / kClose: it was a bracket outside any string, and
  // depth() is already updated (depth may go negative on unbalanced input).
  Event Feed(char c) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      return Event::kNone;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
      return Event::kOpen;
    } else if (c == '}' || c == ']') {
      --depth_;
      return Event::kClose;
    }
    return Event::kNone;
  }

  int depth() const { return depth_; }
  bool in_string() const { return in_string_; }

 private:
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace corgi
