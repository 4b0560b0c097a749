// Live progress of `corgi ask` on stderr: each phase as it starts and ends, each step as
// it is found, evidence and warnings, and — on a terminal — the chain of thought as the
// model writes it (the reasoning call's "delta" events between <THINKING> and
// </THINKING>). Fed by the pipeline's events (docs/RESULTS.md "Streaming events").
//
// Not thread-safe; the pipeline never calls one query's sink concurrently.
#pragma once

#include <cstdio>
#include <string>

#include "corgi/pipeline/pipeline.h"

namespace corgi::cli {

// The visible part of a streamed reasoning output: the text inside <THINKING>...
// </THINKING> (all of it when the output does not start with the tag). Fed the deltas in
// order, Push returns what can be shown now; a tag split across deltas is held back
// until it is complete.
class ThoughtFilter {
 public:
  std::string Push(const std::string& delta);

 private:
  std::string buffer_;
  size_t shown_ = 0;  // visible characters already returned
  bool done_ = false;
};

class AskProgress {
 public:
  // `stream_thoughts`: print the reasoning deltas (when `out` is a terminal).
  AskProgress(std::FILE* out, bool stream_thoughts) : out_(out), stream_thoughts_(stream_thoughts) {}
  void OnEvent(const pipeline::Event& event);

 private:
  void EndLine();  // a newline if streamed text left the cursor mid-line
  std::FILE* out_;
  bool stream_thoughts_;
  bool mid_line_ = false;
  ThoughtFilter thoughts_;
};

}  // namespace corgi::cli
