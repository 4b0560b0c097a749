#include "corgi/core/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace corgi {
namespace {

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

TEST(Bf16, RoundsToNearestEven) {
  // 1.0 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to even (1.0).
  EXPECT_EQ(F32ToBf16(FromBits(0x3f808000u)), 0x3f80u);
  // Next odd mantissa halfway rounds up to even.
  EXPECT_EQ(F32ToBf16(FromBits(0x3f818000u)), 0x3f82u);
  // Just above halfway rounds up.
  EXPECT_EQ(F32ToBf16(FromBits(0x3f808001u)), 0x3f81u);
  EXPECT_EQ(Bf16ToF32(0x3f80u), 1.0f);
  EXPECT_EQ(Bf16ToF32(F32ToBf16(-2.5f)), -2.5f);
}

TEST(Bf16, SpecialValues) {
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(Bf16ToF32(F32ToBf16(std::numeric_limits<float>::infinity())),
            std::numeric_limits<float>::infinity());
  // The largest finite float rounds up to infinity in bf16.
  EXPECT_TRUE(std::isinf(Bf16ToF32(F32ToBf16(std::numeric_limits<float>::max()))));
}

TEST(F16, RoundTripsAllHalfValues) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(F32ToF16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(F16, KnownValuesAndRounding) {
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00u);
  EXPECT_EQ(F32ToF16(-2.0f), 0xc000u);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bffu);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00u);  // halfway to 65536 rounds to even -> inf
  EXPECT_EQ(F32ToF16(65519.0f), 0x7bffu);
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -24)), 0x0001u);  // smallest subnormal
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000u);  // tie -> even (zero)
  EXPECT_EQ(F32ToF16(std::ldexp(1.5f, -25)), 0x0001u);
  // 1 + 2^-11 is halfway between 1 and 1+2^-10: ties to even.
  EXPECT_EQ(F32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00u);
  EXPECT_EQ(F32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02u);
  EXPECT_EQ(F16ToF32(0x0001u), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(std::nanf("")))));
  (void)Bits;
}

}  // namespace
}  // namespace corgi
