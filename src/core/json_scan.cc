#include "corgi/core/json_scan.h"

#include <string>

namespace corgi {

int JsonNestingDepth(std::string_view text, int stop_above) {
  JsonDepthScanner scanner;
  int deepest = 0;
  for (char c : text) {
    if (scanner.Feed(c) == JsonDepthScanner::Event::kOpen && scanner.depth() > deepest) {
      deepest = scanner.depth();
      if (deepest > stop_above) break;
    }
  }
  return deepest;
}

Status CheckJsonDepth(std::string_view text, std::string_view what, int max_depth) {
  if (JsonNestingDepth(text, max_depth) <= max_depth) return Status::Ok();
  return DataLossError(std::string(what) + ": JSON nested deeper than " +
                       std::to_string(max_depth) + " levels (the limit)");
}

}  // namespace corgi
