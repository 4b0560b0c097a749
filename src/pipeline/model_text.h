// Free text from a model that was not decoded under a grammar: tags matched whatever
// their case, and the reasoning blocks of "thinking" models (`<think>...</think>`,
// Qwen3 thinking, DeepSeek-R1) taken out of text meant for people and prompts.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace corgi::pipeline {

// The position of `tag` in `text` at or after `from`, ASCII letters compared without
// case ("<thinking>" finds "<THINKING>"); npos when absent.
size_t FindTag(std::string_view text, std::string_view tag, size_t from = 0);

struct ThinkStripped {
  std::string text;      // what is left, trimmed
  std::string thought;   // the text of the removed blocks, trimmed, joined by blank lines
  bool stripped = false; // some think block or tag was removed
  // A <think> that never closed: everything after it was taken as thought (an output
  // cut short while thinking), so `text` may be empty.
  bool unterminated = false;
};

// Removes every <think>...</think> block (tags in any case). A </think> with no <think>
// before it closes a block the chat template opened: everything before it is thought.
// An unterminated <think> takes the rest of the text with it.
ThinkStripped StripThinkBlocks(const std::string& text);

// `s` without <think> and </think> tags (any case), trimmed; the text between them kept.
std::string WithoutThinkTags(std::string s);

// For an output whose answer is JSON: when it has a think tag and does not start with
// its answer (`answer_start`: the first '{' or '[', or a tag the answer starts with), the
// output without its think blocks and the blocks' thought; when nothing is left outside
// the blocks but they hold a '{' or '[' (the JSON was written inside one), the output
// with only the tags removed. Otherwise the output unchanged, so a grammar's output,
// which starts with its JSON or tag, is never touched.
struct SplitThought {
  std::string text;
  std::string thought;
};
SplitThought SplitThoughtBeforeAnswer(const std::string& output, size_t answer_start);

// `s` without leading and trailing spaces, tabs and line breaks.
std::string TrimSpace(const std::string& s);

}  // namespace corgi::pipeline
