// bf16 and f16 <-> f32 conversion. f32 -> half rounds to nearest, ties to even,
// as PyTorch does; NaN stays NaN, overflow goes to infinity.
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace corgi {

inline float Bf16ToF32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

inline uint16_t F32ToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // quiet NaN
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

// IEEE 754 binary16.
float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);

// Bulk conversions (n elements).
void Bf16ToF32(const uint16_t* src, float* dst, size_t n);
void F32ToBf16(const float* src, uint16_t* dst, size_t n);
void F16ToF32(const uint16_t* src, float* dst, size_t n);
void F32ToF16(const float* src, uint16_t* dst, size_t n);

// Rounds an f32 through bf16 and back (what a bf16 model stores).
inline float RoundToBf16(float f) { return Bf16ToF32(F32ToBf16(f)); }

}  // namespace corgi
