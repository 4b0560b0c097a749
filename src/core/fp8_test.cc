#include "corgi/core/fp8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace corgi {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

bool IsNaNCode(int code) { return (code & 0x7f) == 0x7f; }

TEST(Fp8E4M3, DecodesKnownCodes) {
  EXPECT_EQ(Fp8E4M3ToF32(0x00), 0.0f);
  EXPECT_TRUE(std::signbit(Fp8E4M3ToF32(0x80)));
  EXPECT_EQ(Fp8E4M3ToF32(0x80), 0.0f);
  EXPECT_EQ(Fp8E4M3ToF32(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_EQ(Fp8E4M3ToF32(0x07), std::ldexp(7.0f, -9));  // largest subnormal
  EXPECT_EQ(Fp8E4M3ToF32(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_EQ(Fp8E4M3ToF32(0x38), 1.0f);                  // exponent 7 = bias
  EXPECT_EQ(Fp8E4M3ToF32(0x3c), 1.5f);
  EXPECT_EQ(Fp8E4M3ToF32(0x7e), 448.0f);
  EXPECT_EQ(Fp8E4M3ToF32(0xfe), -448.0f);
  EXPECT_EQ(Fp8E4M3ToF32(0x78), 256.0f);  // exponent 15 is finite except mantissa 7
  EXPECT_TRUE(std::isnan(Fp8E4M3ToF32(0x7f)));
  EXPECT_TRUE(std::isnan(Fp8E4M3ToF32(0xff)));
}

TEST(Fp8E4M3, AllCodesAreOrderedSymmetricAndFinite) {
  int nans = 0;
  for (int c = 0; c < 256; ++c) {
    const float v = Fp8E4M3ToF32(static_cast<uint8_t>(c));
    if (IsNaNCode(c)) {
      EXPECT_TRUE(std::isnan(v)) << c;
      ++nans;
      continue;
    }
    EXPECT_TRUE(std::isfinite(v)) << c;
    EXPECT_LE(std::fabs(v), kFp8E4M3Max) << c;
    EXPECT_EQ(Fp8E4M3ToF32(static_cast<uint8_t>(c ^ 0x80)), -v) << c;  // sign bit only
    if (c > 0 && c < 0x7f) {
      EXPECT_LT(Fp8E4M3ToF32(static_cast<uint8_t>(c - 1)), v) << c;
    }
  }
  EXPECT_EQ(nans, 2);
}

TEST(Fp8E4M3, EncodeInvertsDecode) {
  for (int c = 0; c < 256; ++c) {
    const uint8_t code = static_cast<uint8_t>(c);
    const uint8_t back = F32ToFp8E4M3(Fp8E4M3ToF32(code));
    if (IsNaNCode(c)) {
      EXPECT_TRUE(IsNaNCode(back)) << c;
      EXPECT_EQ(back & 0x80, c & 0x80) << c;  // NaN keeps its sign, as torch's cast
    } else {
      EXPECT_EQ(back, code) << c;
      EXPECT_EQ(F32ToFp8E4M3Saturate(Fp8E4M3ToF32(code)), code) << c;
    }
  }
}

TEST(Fp8E4M3, RoundsToNearestTiesToEven) {
  for (int c = 0; c < 0x7e; ++c) {
    const float lo = Fp8E4M3ToF32(static_cast<uint8_t>(c)), hi = Fp8E4M3ToF32(static_cast<uint8_t>(c + 1));
    const float mid = (lo + hi) / 2;  // exact: both have 4 significant bits
    const int even = (c % 2 == 0) ? c : c + 1;  // code parity is the mantissa's last bit
    EXPECT_EQ(F32ToFp8E4M3(mid), even) << c;
    EXPECT_EQ(F32ToFp8E4M3(-mid), even | 0x80) << c;
    EXPECT_EQ(F32ToFp8E4M3(std::nextafter(mid, 0.0f)), c) << c;
    EXPECT_EQ(F32ToFp8E4M3(std::nextafter(mid, kInf)), c + 1) << c;
  }
  // Below the smallest subnormal: half of it ties to 0, just above rounds up.
  EXPECT_EQ(F32ToFp8E4M3(std::ldexp(1.0f, -10)), 0x00);
  EXPECT_EQ(F32ToFp8E4M3(std::nextafter(std::ldexp(1.0f, -10), 1.0f)), 0x01);
  EXPECT_EQ(F32ToFp8E4M3(-1e-30f), 0x80);
  EXPECT_EQ(F32ToFp8E4M3(std::numeric_limits<float>::denorm_min()), 0x00);
}

TEST(Fp8E4M3, OverflowIsNaNUnlessSaturated) {
  EXPECT_EQ(F32ToFp8E4M3(464.0f), 0x7e);  // the tie between 448 and 480 goes to 448
  EXPECT_EQ(F32ToFp8E4M3(std::nextafter(464.0f, kInf)), 0x7f);
  EXPECT_EQ(F32ToFp8E4M3(480.0f), 0x7f);
  EXPECT_EQ(F32ToFp8E4M3(1e9f), 0x7f);
  EXPECT_EQ(F32ToFp8E4M3(kInf), 0x7f);
  EXPECT_EQ(F32ToFp8E4M3(-kInf), 0xff);
  EXPECT_EQ(F32ToFp8E4M3(-470.0f), 0xff);
  EXPECT_EQ(F32ToFp8E4M3(std::numeric_limits<float>::quiet_NaN()), 0x7f);
  EXPECT_EQ(F32ToFp8E4M3(-std::numeric_limits<float>::quiet_NaN()), 0xff);

  EXPECT_EQ(F32ToFp8E4M3Saturate(470.0f), 0x7e);
  EXPECT_EQ(F32ToFp8E4M3Saturate(kInf), 0x7e);
  EXPECT_EQ(F32ToFp8E4M3Saturate(-1e30f), 0xfe);
  EXPECT_TRUE(IsNaNCode(F32ToFp8E4M3Saturate(std::numeric_limits<float>::quiet_NaN())));
}

TEST(Fp8E4M3, BulkDecodeMatchesScalar) {
  std::vector<uint8_t> codes(256);
  for (int c = 0; c < 256; ++c) codes[c] = static_cast<uint8_t>(c);
  std::vector<float> values(256);
  Fp8E4M3ToF32(codes.data(), values.data(), codes.size());
  for (int c = 0; c < 256; ++c) {
    const float one = Fp8E4M3ToF32(static_cast<uint8_t>(c));
    if (std::isnan(one)) {
      EXPECT_TRUE(std::isnan(values[c]));
    } else {
      EXPECT_EQ(values[c], one);
    }
  }
}

}  // namespace
}  // namespace corgi
