#include "corgi/core/fp8.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace corgi {

namespace {

constexpr uint8_t kNaN = 0x7f;
constexpr int kBias = 7;
// Halfway between 448 (0x7e) and the next step up (480, which would be the NaN code): the
// largest magnitude that still rounds to 448 (the tie goes to 448's even mantissa).
constexpr float kLargestRoundingToMax = 464.0f;
// 2^-6, the smallest normal value (code 0x08).
constexpr float kMinNormal = 0.015625f;

float DecodeSlow(uint8_t code) {
  const int exponent = (code >> 3) & 0xf, mantissa = code & 7;
  float magnitude;
  if (exponent == 0xf && mantissa == 7) {
    magnitude = std::numeric_limits<float>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m · 2^-9
  } else {
    magnitude = std::ldexp(static_cast<float>(8 + mantissa), exponent - kBias - 3);
  }
  return (code & 0x80) ? -magnitude : magnitude;
}

const std::array<float, 256>& DecodeTable() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = DecodeSlow(static_cast<uint8_t>(c));
    return t;
  }();
  return table;
}

// Rounds x >= 0 (an exact multiple of 2^-k small enough that x - floor(x) is exact) to the
// nearest integer, ties to even, independent of the FPU rounding mode.
uint32_t RoundHalfEven(float x) {
  const float floor = std::floor(x);
  const float frac = x - floor;
  uint32_t n = static_cast<uint32_t>(floor);
  if (frac > 0.5f || (frac == 0.5f && (n & 1u))) ++n;
  return n;
}

uint8_t EncodeMagnitude(float a) {  // a >= 0, not NaN, a <= 464
  if (a < kMinNormal) return static_cast<uint8_t>(RoundHalfEven(a * 512.0f));  // 8 = 2^-6 exactly
  uint32_t bits;
  std::memcpy(&bits, &a, sizeof(bits));
  int exponent = static_cast<int>(bits >> 23) - 127;  // in [-6, 8]
  const uint32_t fraction = bits & 0x7fffffu;
  uint32_t mantissa = fraction >> 20;  // the top 3 of 23 fraction bits
  const uint32_t rest = fraction & 0xfffffu, half = 0x80000u;
  if (rest > half || (rest == half && (mantissa & 1u))) ++mantissa;
  if (mantissa == 8) {  // carried into the exponent
    mantissa = 0;
    ++exponent;
  }
  return static_cast<uint8_t>(((exponent + kBias) << 3) | mantissa);
}

}  // namespace

float Fp8E4M3ToF32(uint8_t code) { return DecodeTable()[code]; }

uint8_t F32ToFp8E4M3(float f) {
  const uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
  const float a = std::fabs(f);
  if (std::isnan(a) || a > kLargestRoundingToMax) return sign | kNaN;
  return sign | EncodeMagnitude(a);
}

uint8_t F32ToFp8E4M3Saturate(float f) {
  if (std::isnan(f)) return F32ToFp8E4M3(f);
  if (f > kFp8E4M3Max) f = kFp8E4M3Max;
  if (f < -kFp8E4M3Max) f = -kFp8E4M3Max;
  return F32ToFp8E4M3(f);
}

void Fp8E4M3ToF32(const uint8_t* src, float* dst, size_t n) {
  const std::array<float, 256>& table = DecodeTable();
  for (size_t i = 0; i < n; ++i) dst[i] = table[src[i]];
}

}  // namespace corgi
