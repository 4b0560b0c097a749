#include "corgi/core/hash.h"

#include <gtest/gtest.h>

namespace corgi {
namespace {

TEST(Hash, IncrementalEqualsOneShot) {
  Hasher h;
  h.Update("hello ");
  h.Update("world");
  EXPECT_EQ(h.Finish(), HashString("hello world"));
  EXPECT_NE(HashString("hello world"), HashString("hello worle"));
  EXPECT_EQ(HashString("").ToHex().size(), 32u);
}

TEST(Hash, StableAcrossRuns) {
  // XXH3-128 of the empty input is a published constant; guards against a library swap.
  EXPECT_EQ(HashString("").ToHex(), "99aa06d3014798d86001c324468d497f");
}

}  // namespace
}  // namespace corgi
