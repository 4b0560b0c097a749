#include "pipeline/json_repair.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace corgi::pipeline {
namespace {

constexpr size_t kNone = std::string::npos;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
         c == '.';
}
bool IsKeyStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsValueStart(char c) {
  return c == '"' || c == '\'' || c == '{' || c == '[' || c == '-' ||
         std::isalnum(static_cast<unsigned char>(c));
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(const std::string& s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t b = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > b;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

class Repairer {
 public:
  Repairer(const std::string& text, const RepairOptions& options)
      : text_(text), options_(options) {}

  std::optional<RepairedJson> Run(size_t start) {
    pos_ = start;
    while (pos_ < text_.size() && !done_) {
      if (!Step()) return std::nullopt;
    }
    if (!done_ && !Finish()) return std::nullopt;
    return RepairedJson{std::move(out_), std::move(repairs_), std::move(open_at_end_)};
  }

 private:
  enum class Expect { kValue, kKey, kColon, kCommaOrEnd };
  enum class Scan { kOk, kTruncated, kFail };
  struct Frame {
    char open;
    bool after_comma = false;
    size_t comma_out = kNone;  // where the last comma was written
    size_t key_out = kNone;    // where the current key starts
  };

  void Note(const char* repair) {
    if (std::find(repairs_.begin(), repairs_.end(), repair) == repairs_.end()) {
      repairs_.push_back(repair);
    }
  }

  bool Step() {
    const char c = text_[pos_];
    if (IsSpace(c)) {
      out_ += c;
      ++pos_;
      return true;
    }
    if (c == '}' || c == ']') return Close(c);
    switch (expect_) {
      case Expect::kCommaOrEnd:
        if (c == ',') {
          Frame& f = frames_.back();
          f.after_comma = true;
          f.comma_out = out_.size();
          out_ += ',';
          ++pos_;
          expect_ = f.open == '{' ? Expect::kKey : Expect::kValue;
          return true;
        }
        if (!IsValueStart(c)) return false;
        // Two values with only white space between them: the comma was left out.
        Note("missing comma inserted");
        frames_.back().after_comma = false;
        out_ += ',';
        expect_ = frames_.back().open == '{' ? Expect::kKey : Expect::kValue;
        return true;
      case Expect::kColon:
        if (c != ':') return false;
        out_ += ':';
        ++pos_;
        expect_ = Expect::kValue;
        return true;
      case Expect::kKey:
        return Key(c);
      case Expect::kValue:
        return Value(c);
    }
    return false;
  }

  bool Key(char c) {
    Frame& f = frames_.back();
    f.key_out = out_.size();
    if (c == '"' || c == '\'') {
      Scan s = String(c);
      if (s == Scan::kFail) return false;
      if (s == Scan::kTruncated) out_.resize(f.key_out);  // a cut key names nothing
      expect_ = Expect::kColon;
      return true;
    }
    if (!IsKeyStart(c)) return false;
    size_t b = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    if (pos_ == text_.size()) return true;  // a cut key: Finish drops it
    out_ += '"' + text_.substr(b, pos_ - b) + '"';
    Note("unquoted key quoted");
    expect_ = Expect::kColon;
    return true;
  }

  bool Value(char c) {
    if (c == '{' || c == '[') {
      frames_.push_back(Frame{c});
      out_ += c;
      ++pos_;
      expect_ = c == '{' ? Expect::kKey : Expect::kValue;
      return true;
    }
    if (c == '"' || c == '\'') {
      Scan s = String(c);
      if (s == Scan::kFail) return false;
      EndValue();
      return true;
    }
    if (!IsWordChar(c)) return false;
    size_t b = pos_;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
    // A number or literal the text ends in may be the prefix of another one: dropped.
    if (pos_ == text_.size()) return true;
    std::string word = text_.substr(b, pos_ - b);
    if (word == "True" || word == "False" || word == "None") {
      word = word == "True" ? "true" : word == "False" ? "false" : "null";
      Note("Python literal converted");
    } else if (word != "true" && word != "false" && word != "null" && !IsJsonNumber(word)) {
      return false;
    }
    out_ += word;
    EndValue();
    return true;
  }

  bool Close(char c) {
    if (frames_.empty() || (c == '}') != (frames_.back().open == '{')) return false;
    Frame& f = frames_.back();
    // A value or key expected after a comma: the comma was trailing. Expected after a
    // colon: the value is missing, which only a guess could fill.
    if (expect_ == Expect::kColon || (expect_ == Expect::kValue && f.open == '{')) return false;
    if (expect_ != Expect::kCommaOrEnd && f.after_comma) {
      out_.erase(f.comma_out, 1);
      Note("trailing comma removed");
    }
    out_ += c;
    ++pos_;
    frames_.pop_back();
    EndValue();
    return true;
  }

  void EndValue() {
    if (frames_.empty()) {
      done_ = true;
      return;
    }
    expect_ = Expect::kCommaOrEnd;
    frames_.back().after_comma = false;
  }

  // A string opened by `quote` at pos_, written as a JSON string.
  Scan String(char quote) {
    if (quote == '\'') Note("single-quoted string converted");
    out_ += '"';
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\') {
        if (!Escape()) break;
        continue;
      }
      if (c == quote && (quote == '"' || ClosesSingleQuote())) {
        out_ += '"';
        ++pos_;
        return Scan::kOk;
      }
      ++pos_;
      if (c == '"') {
        out_ += "\\\"";
      } else if (static_cast<unsigned char>(c) < 0x20) {
        Note("raw control character in a string escaped");
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
        out_ += c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : buf;
      } else {
        out_ += c;
      }
    }
    if (!options_.allow_truncation) return Scan::kFail;
    pos_ = text_.size();
    out_ += '"';
    Note("truncated string closed");
    return Scan::kTruncated;
  }

  // A backslash at pos_ inside a string. False when the text ends inside the escape.
  bool Escape() {
    if (pos_ + 1 >= text_.size()) return false;
    const char d = text_[pos_ + 1];
    if (d == 'u') {
      if (pos_ + 6 > text_.size()) return false;
      bool hex = std::all_of(text_.begin() + pos_ + 2, text_.begin() + pos_ + 6,
                             [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); });
      if (hex) {
        out_ += text_.substr(pos_, 6);
        pos_ += 6;
        return true;
      }
    } else if (std::string("\"\\/bfnrt").find(d) != std::string::npos) {
      out_ += text_.substr(pos_, 2);
      pos_ += 2;
      return true;
    } else if (d == '\'') {
      out_ += '\'';
      pos_ += 2;
      return true;
    }
    // Not an escape JSON knows: the backslash is text.
    Note("stray backslash kept as text");
    out_ += "\\\\";
    ++pos_;
    return true;
  }

  // A ' inside a single-quoted string closes it only when a delimiter, another quote or
  // the end follows; otherwise it is an apostrophe ("it's").
  bool ClosesSingleQuote() const {
    size_t j = pos_ + 1;
    while (j < text_.size() && IsSpace(text_[j])) ++j;
    return j == text_.size() || std::string(",:}]'\"").find(text_[j]) != std::string::npos;
  }

  // The text ended before the value did: drop what is incomplete, close what is open.
  bool Finish() {
    if (!options_.allow_truncation || frames_.empty()) return false;
    Frame& f = frames_.back();
    if (f.open == '{' && (expect_ == Expect::kValue || expect_ == Expect::kColon)) {
      if (f.key_out != kNone) out_.resize(f.key_out);  // the key has no value
      expect_ = Expect::kKey;
    }
    if (expect_ != Expect::kCommaOrEnd && f.after_comma) out_.resize(f.comma_out);
    for (const Frame& open : frames_) open_at_end_ += open.open;
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) out_ += it->open == '{' ? '}' : ']';
    Note("truncated output closed");
    return true;
  }

  const std::string& text_;
  const RepairOptions& options_;
  size_t pos_ = 0;
  std::string out_;
  std::vector<Frame> frames_;
  Expect expect_ = Expect::kValue;
  bool done_ = false;
  std::vector<std::string> repairs_;
  std::string open_at_end_;
};

}  // namespace

std::optional<RepairedJson> RepairJson(const std::string& text, size_t from,
                                       const RepairOptions& options) {
  size_t start = text.find_first_of("{[", from);
  if (start == std::string::npos) return std::nullopt;
  return Repairer(text, options).Run(start);
}

}  // namespace corgi::pipeline
