#include <gtest/gtest.h>

#include "corgi/image/resize.h"

namespace corgi {
namespace {

struct Case {
  int64_t h, w, factor, min_pixels, max_pixels, want_h, want_w;
};

void ExpectResize(const Case& c) {
  StatusOr<ResizeTarget> t = SmartResize(c.h, c.w, c.factor, c.min_pixels, c.max_pixels);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->height, c.want_h) << c.h << "x" << c.w;
  EXPECT_EQ(t->width, c.want_w) << c.h << "x" << c.w;
}

constexpr int64_t kMin = 65536, kMax = 16777216;  // HF Qwen3-VL defaults

TEST(SmartResizeTest, SpecTable) {
  // spec/qwen3-vl.md §3.2 worked examples.
  ExpectResize({480, 640, 32, kMin, kMax, 480, 640});
  ExpectResize({1365, 2048, 32, kMin, kMax, 1376, 2048});
  ExpectResize({1080, 1920, 32, kMin, kMax, 1088, 1920});
  ExpectResize({100, 100, 32, kMin, kMax, 256, 256});
  ExpectResize({48, 4000, 32, kMin, kMax, 64, 4000});
  ExpectResize({6000, 8000, 32, kMin, kMax, 3520, 4704});
  // §6: Qwen2.5-VL, factor 28.
  ExpectResize({480, 640, 28, 3136, 12845056, 476, 644});
}

TEST(SmartResizeTest, RoundsHalfToEven) {
  // 400/32 = 12.5 -> 12 (even), 229/32 = 7.156 -> 7: 224x384 = 86016 is within bounds.
  ExpectResize({229, 400, 32, kMin, kMax, 224, 384});
  // 2160/32 = 67.5 -> 68 (even): 2176x3456.
  ExpectResize({2160, 3456, 32, kMin, kMax, 2176, 3456});
  // 80/32 = 2.5 -> 2 -> 64; 1000/32 = 31.25 -> 31 -> 992 (min 4096 keeps it).
  ExpectResize({80, 1000, 32, 4096, kMax, 64, 992});
  // 112/32 = 3.5 -> 4 -> 128.
  ExpectResize({112, 1000, 32, 4096, kMax, 128, 992});
  // 16/32 = 0.5 -> 0: area 0 < 4096, so the up-scale branch runs:
  // beta = sqrt(4096/16000) = 0.50596; ceil(16*beta/32) = 1 -> 32; ceil(1000*beta/32) = 16 -> 512.
  ExpectResize({16, 1000, 32, 4096, kMax, 32, 512});
}

TEST(SmartResizeTest, DownscaleGuardKeepsOneFactor) {
  // 33x6000 with max 65536: rounding gives 32x6016 (187.5 -> 188) = 192512 > max, so
  // beta = sqrt(198000/65536) = 1.7382; floor(33/beta/32) = 0 -> max(32, 0) = 32;
  // floor(6000/beta/32) = 107 -> 3424.
  ExpectResize({33, 6000, 32, 0, 65536, 32, 3424});
}

TEST(SmartResizeTest, Errors) {
  EXPECT_EQ(SmartResize(10, 2001, 32, kMin, kMax).status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(SmartResize(10, 2000, 32, kMin, kMax).ok());  // exactly 200 is allowed
  EXPECT_EQ(SmartResize(0, 10, 32, kMin, kMax).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SmartResize(10, 10, 0, kMin, kMax).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SmartResize(10, 10, 32, kMax, kMin).status().code(), StatusCode::kInvalidArgument);
  // Rounds to nothing and min_pixels 0 cannot rescue it.
  EXPECT_EQ(SmartResize(10, 10, 32, 0, kMax).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi
