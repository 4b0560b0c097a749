#include "corgi/core/tensor.h"

#include <gtest/gtest.h>

#include "corgi/core/aligned_buffer.h"

namespace corgi {
namespace {

TEST(Shape, Basics) {
  Shape s{2, 3, 4};
  EXPECT_EQ(s.rank(), 3);
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.ToString(), "[2, 3, 4]");
  EXPECT_EQ(Shape().numel(), 1);
  auto st = ContiguousStrides(s);
  EXPECT_EQ(st[0], 12);
  EXPECT_EQ(st[1], 4);
  EXPECT_EQ(st[2], 1);
}

TEST(TensorView, SliceAndBytes) {
  AlignedBuffer buf(24 * sizeof(float));
  float* p = buf.as<float>();
  for (int i = 0; i < 24; ++i) p[i] = static_cast<float>(i);
  TensorView v(p, DType::kF32, Shape{2, 3, 4});
  EXPECT_TRUE(v.is_contiguous());
  EXPECT_EQ(v.bytes(), 96u);
  TensorView row = v.Slice0(1);
  EXPECT_EQ(row.shape, (Shape{3, 4}));
  EXPECT_EQ(row.as<float>()[0], 12.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf.data()) % AlignedBuffer::kAlignment, 0u);
}

TEST(Arena, AlignsAndExhausts) {
  Arena arena(256);
  void* a = arena.Allocate(10);
  void* b = arena.Allocate(10);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
  EXPECT_EQ(arena.Allocate(1000), nullptr);
  arena.Reset();
  EXPECT_EQ(arena.used(), 0u);
}

TEST(DType, Names) {
  EXPECT_EQ(*ParseDType("BF16"), DType::kBF16);
  EXPECT_EQ(*ParseDType("I8"), DType::kI8);
  EXPECT_EQ(*ParseDType("F8_E4M3"), DType::kF8E4M3);
  EXPECT_FALSE(ParseDType("Q8").has_value());  // corgi's formats are stored as U8
  EXPECT_FALSE(ParseDType("I16").has_value());
  EXPECT_EQ(DTypeSize(DType::kF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kQ8), 0u);
  EXPECT_EQ(TensorBytes(DType::kQ8, Shape{17, 33}), 2u * 2u * 544u);  // 2 panels × 2 blocks
  EXPECT_EQ(TensorBytes(DType::kQ6, Shape{16, 64}), 32u + 2u * 416u);  // one group header, two blocks
  EXPECT_EQ(TensorBytes(DType::kQ4, Shape{16, 32}), 64u + 280u);  // one group header, one block
  EXPECT_EQ(TensorBytes(DType::kQ4, Shape{16, 288}), 2u * 64u + 9u * 280u);  // groups of 8 + 1 blocks
  EXPECT_EQ(DTypeName(DType::kQ6), std::string("Q6"));
}

}  // namespace
}  // namespace corgi
