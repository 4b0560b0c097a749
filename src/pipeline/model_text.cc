#include "pipeline/model_text.h"

#include <algorithm>
#include <cctype>

namespace corgi::pipeline {
namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";

void AddThought(ThinkStripped* out, const std::string& thought) {
  std::string t = TrimSpace(thought);
  if (t.empty()) return;
  if (!out->thought.empty()) out->thought += "\n\n";
  out->thought += t;
}

// `s` without any `tag` (any case), in one pass.
std::string RemoveTag(const std::string& s, std::string_view tag, bool* removed) {
  std::string out;
  size_t pos = 0;
  for (size_t p = FindTag(s, tag); p != std::string::npos; p = FindTag(s, tag, pos)) {
    out.append(s, pos, p - pos);
    pos = p + tag.size();
    *removed = true;
  }
  return out.append(s, pos, std::string::npos);
}

}  // namespace

size_t FindTag(std::string_view text, std::string_view tag, size_t from) {
  if (tag.empty() || from > text.size()) return std::string_view::npos;
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  auto it = std::search(text.begin() + from, text.end(), tag.begin(), tag.end(), same);
  return it == text.end() ? std::string_view::npos : static_cast<size_t>(it - text.begin());
}

std::string TrimSpace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

ThinkStripped StripThinkBlocks(const std::string& text) {
  ThinkStripped out;
  std::string rest = text;
  // A close before any open: the block was opened by the prompt.
  size_t first_open = FindTag(rest, kOpen), first_close = FindTag(rest, kClose);
  if (first_close != std::string::npos && first_close < first_open) {
    AddThought(&out, rest.substr(0, first_close));
    rest = rest.substr(first_close + kClose.size());
    out.stripped = true;
  }
  std::string kept;
  size_t pos = 0;
  while (true) {
    size_t open = FindTag(rest, kOpen, pos);
    if (open == std::string::npos) break;
    kept += rest.substr(pos, open - pos);
    out.stripped = true;
    size_t body = open + kOpen.size();
    size_t close = FindTag(rest, kClose, body);
    if (close == std::string::npos) {
      AddThought(&out, rest.substr(body));
      out.unterminated = true;
      pos = rest.size();
      break;
    }
    AddThought(&out, rest.substr(body, close - body));
    pos = close + kClose.size();
  }
  if (pos < rest.size()) kept += rest.substr(pos);
  // A stray close left over (two closes for one open) is a tag, not text.
  out.text = TrimSpace(RemoveTag(kept, kClose, &out.stripped));
  return out;
}

std::string WithoutThinkTags(std::string s) {
  bool removed = false;
  return TrimSpace(RemoveTag(RemoveTag(s, kOpen, &removed), kClose, &removed));
}

SplitThought SplitThoughtBeforeAnswer(const std::string& output, size_t answer_start) {
  size_t think = std::min(FindTag(output, kOpen), FindTag(output, kClose));
  // Output that starts with its answer (a grammar's) is left alone.
  if (think == std::string::npos || output.find_first_not_of(" \t\r\n") == answer_start) {
    return {output, ""};
  }
  ThinkStripped stripped = StripThinkBlocks(output);
  if (stripped.text.empty() && output.find_first_of("{[") != std::string::npos) {
    return {WithoutThinkTags(output), ""};
  }
  return {stripped.text, stripped.thought};
}

}  // namespace corgi::pipeline
