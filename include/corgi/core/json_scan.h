// Bracket depth of JSON text, one byte at a time, ignoring brackets inside string
// literals (escapes included). Used where text must be checked or cut before a JSON
// parser sees it: the safetensors header's nesting limit, and the first complete
// {...} / [...] value in a model's free-form output.
#pragma once

namespace corgi {

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
