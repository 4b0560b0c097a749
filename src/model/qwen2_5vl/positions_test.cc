#include "corgi/model/qwen2_5vl/positions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "corgi/model/qwen2_5vl/presets.h"

namespace corgi::qwen2_5vl {
namespace {

using V = std::vector<int64_t>;

TEST(WindowLayout, PartialWindowsOfA3x5MergedGrid) {
  // Merged grid 3 x 5 (patches 6 x 10), windows of 2 x 2 merged tokens:
  //   tokens  0  1 |  2  3 |  4        windows  A A | B B | C
  //           5  6 |  7  8 |  9                 A A | B B | C
  //          10 11 | 12 13 | 14                 D D | E E | F
  const ImageGrid grid{1, 6, 10};
  WindowLayout w = MakeWindowLayout(std::span(&grid, 1), 2, 2);
  EXPECT_EQ(w.order, (V{0, 1, 5, 6, 2, 3, 7, 8, 4, 9, 10, 11, 12, 13, 14}));
  EXPECT_EQ(w.cu_windows, (V{0, 16, 32, 40, 48, 56, 60}));  // in patches: 4 per token
  EXPECT_EQ(w.cu_frames, (V{0, 60}));
}

TEST(WindowLayout, TwoImagesAndTwoFramesAreOffset) {
  // Image 0: merged 3 x 5 as above; image 1: merged 2 x 2 with two frames, one window each.
  const ImageGrid grids[] = {{1, 6, 10}, {2, 4, 4}};
  WindowLayout w = MakeWindowLayout(grids, 2, 2);
  EXPECT_EQ(w.order,
            (V{0, 1, 5, 6, 2, 3, 7, 8, 4, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22}));
  EXPECT_EQ(w.cu_windows, (V{0, 16, 32, 40, 48, 56, 60, 76, 92}));
  EXPECT_EQ(w.cu_frames, (V{0, 60, 76, 92}));
}

TEST(WindowLayout, WindowLargerThanTheImage) {
  const ImageGrid grid{1, 4, 6};  // merged 2 x 3, window 4 x 4: one window, row-major
  WindowLayout w = MakeWindowLayout(std::span(&grid, 1), 2, 4);
  EXPECT_EQ(w.order, (V{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(w.cu_windows, (V{0, 24}));
}

// transformers' get_window_index spelled out: pad the merged grid by (vws - n % vws)
// (a whole empty window row/column when n divides), list the padded windows, drop the
// padding, then unique_consecutive over the offsets.
void ReferenceWindowIndex(std::span<const ImageGrid> grids, int64_t merge, int64_t vws, V* order,
                          V* cu) {
  cu->assign(1, 0);
  order->clear();
  int64_t id = 0;
  for (const ImageGrid& g : grids) {
    const int64_t h = g.h / merge, w = g.w / merge;
    const int64_t ph = h + (vws - h % vws), pw = w + (vws - w % vws);
    for (int64_t t = 0; t < g.t; ++t)
      for (int64_t wy = 0; wy < ph / vws; ++wy)
        for (int64_t wx = 0; wx < pw / vws; ++wx) {
          int64_t count = 0;
          for (int64_t y = wy * vws; y < (wy + 1) * vws; ++y)
            for (int64_t x = wx * vws; x < (wx + 1) * vws; ++x) {
              if (y >= h || x >= w) continue;  // padding (-100)
              order->push_back(id + t * h * w + y * w + x);
              ++count;
            }
          cu->push_back(cu->back() + count * merge * merge);
        }
    id += g.t * h * w;
  }
  V unique;
  for (int64_t v : *cu)
    if (unique.empty() || unique.back() != v) unique.push_back(v);
  *cu = unique;
}

TEST(WindowLayout, MatchesTheReferenceOnRandomGrids) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ImageGrid> grids(1 + rng() % 3);
    for (ImageGrid& g : grids)
      g = {1 + static_cast<int64_t>(rng() % 2), 2 * (1 + static_cast<int64_t>(rng() % 13)),
           2 * (1 + static_cast<int64_t>(rng() % 13))};
    const int64_t vws = 1 + rng() % 5;
    V order, cu;
    ReferenceWindowIndex(grids, 2, vws, &order, &cu);
    WindowLayout w = MakeWindowLayout(grids, 2, vws);
    EXPECT_EQ(w.order, order) << "trial " << trial;
    EXPECT_EQ(w.cu_windows, cu) << "trial " << trial;
    V sorted = w.order;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], static_cast<int64_t>(i));
  }
}

TEST(VisionRotary, RowsThenColumnsInMergeBlockOrder) {
  const ImageGrid grid{1, 4, 4};
  const int64_t head_dim = 16, half = 8, quarter = 4;
  std::vector<float> a(grid.patches() * half);
  VisionRotaryAngles(grid, head_dim, 2, 10000.0f, a.data());
  // Patch 6 in merge-block order: block (0, 1), offset (1, 0) -> row 1, column 2.
  for (int64_t k = 0; k < quarter; ++k) {
    const float inv = 1.0f / std::pow(10000.0f, static_cast<float>(2 * k) / 8.0f);
    EXPECT_EQ(a[6 * half + k], 1.0f * inv);
    EXPECT_EQ(a[6 * half + quarter + k], 2.0f * inv);
  }
}

TEST(Mrope, ChunkedSections) {
  TextConfig t = PresetConfig("tiny")->text;  // head_dim 16, sections [2, 3, 3]
  MropeFrequencies f = MakeMropeFrequencies(t);
  EXPECT_EQ(f.axis, (std::vector<int>{0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(f.inv_freq[0], 1.0f);
  EXPECT_EQ(f.inv_freq[3], 1.0f / std::pow(1000000.0f, 6.0f / 16.0f));
  const int32_t pos[] = {3, 4, 5, 10, 20, 30};  // t, h, w rows for two tokens
  std::vector<float> angles(2 * 8);
  MropeAngles(f, pos, 2, angles.data());
  EXPECT_EQ(angles[1], 3.0f * f.inv_freq[1]);
  EXPECT_EQ(angles[2], 5.0f * f.inv_freq[2]);
  EXPECT_EQ(angles[8 + 7], 30.0f * f.inv_freq[7]);
  TextConfig real = PresetConfig("7b")->text;  // [16, 24, 24] over 64 slots
  MropeFrequencies g = MakeMropeFrequencies(real);
  EXPECT_EQ(g.axis[15], 0);
  EXPECT_EQ(g.axis[16], 1);
  EXPECT_EQ(g.axis[39], 1);
  EXPECT_EQ(g.axis[40], 2);
}

}  // namespace
}  // namespace corgi::qwen2_5vl
