// Progress of `corgi batch` on stderr: a redrawn bar with an ETA when stderr is a terminal,
// plain lines otherwise (logs, CI):
//
//   [#########-----------]  9/20  45%  ETA 0:13  q9
//   [3/20] q3 ... done in 1.2 s
//   [4/20] q4 ... failed in 0.0 s: image: NotFound: cannot open 'x.jpg'
//
// With --parallel K the items overlap: the bar names the item started last and how many
// others run ("q9 +2"), a plain line is printed as each item ends (so [n/total] counts
// finished items, in the order they finish), and the ETA divides the remaining items'
// mean time among the K workers.
//
// Not thread-safe: the batch's workers call it under their shared lock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace corgi::cli {

// "0.35 s", "12.1 s", "3:05" (minutes:seconds), "1:02:09" (hours).
std::string FormatDuration(double seconds);

// One frame of the bar, without the leading "\r" and line clearing; `width` cells of bar.
// eta_seconds < 0: no estimate yet.
std::string RenderProgressBar(int64_t done, int64_t total, double eta_seconds, int width,
                              const std::string& current);

class BatchProgress {
 public:
  // `total` items in the input, `skipped` of which already have results, run by `workers`
  // (>= 1) at a time; `out` is borrowed.
  BatchProgress(int64_t total, int64_t skipped, bool interactive, FILE* out, int workers = 1);

  void Begin(const std::string& id);  // an item starts (redraws the bar)
  void End(const std::string& id, double seconds, const std::optional<std::string>& error);
  void Close();  // clears the bar; call before printing the summary

  int64_t processed() const { return processed_; }

 private:
  double EtaSeconds() const;
  void Draw();

  int64_t total_;
  int64_t skipped_;
  bool interactive_;
  FILE* out_;
  int workers_;
  std::vector<std::string> running_;  // ids begun and not ended, in the order they began
  int64_t processed_ = 0;
  double busy_seconds_ = 0;
  bool bar_shown_ = false;
};

}  // namespace corgi::cli
