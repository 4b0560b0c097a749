// ThoughtFilter: the chain of thought streamed from reasoning deltas, tags split anywhere.
#include "apps/cli/ask_progress.h"

#include <gtest/gtest.h>

namespace corgi::cli {
namespace {

std::string Feed(const std::string& text, size_t piece) {
  ThoughtFilter f;
  std::string shown;
  for (size_t i = 0; i < text.size(); i += piece) shown += f.Push(text.substr(i, piece));
  return shown;
}

TEST(ThoughtFilterTest, ShowsOnlyTheThinkingWhateverTheSplit) {
  const std::string out =
      "<THINKING>The sign is red.\nIt says STOP.</THINKING>\n<STRUCTURED_STEPS>{}</STRUCTURED_STEPS>";
  for (size_t piece : {1, 2, 3, 5, 7, 11, 200})
    EXPECT_EQ(Feed(out, piece), "The sign is red.\nIt says STOP.") << piece;
}

TEST(ThoughtFilterTest, NoOpeningTagShowsEverythingUntilTheClose) {
  EXPECT_EQ(Feed("plain thoughts</THINKING>rest", 4), "plain thoughts");
  EXPECT_EQ(Feed("no tags at all", 3), "no tags at all");
}

}  // namespace
}  // namespace corgi::cli
