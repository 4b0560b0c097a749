// float8_e4m3fn <-> float32: the 8-bit float of FP8 checkpoints (safetensors "F8_E4M3",
// PyTorch torch.float8_e4m3fn, the "FN" variant of OCP FP8 E4M3).
//
// Layout: 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits. No infinities; only the
// codes 0x7f and 0xff (exponent and mantissa all ones) are NaN, so the largest finite
// value is 0x7e = 448. Exponent 0 holds subnormals: m · 2^-9, m in 1..7. Every code
// decodes exactly to a float32.
//
// F32ToFp8E4M3 matches PyTorch's `tensor.to(torch.float8_e4m3fn)` bit for bit (checked
// against torch 2.11): round to nearest, ties to even; magnitudes that round above 448
// (> 464, including infinity) become NaN, not 448 — the cast does NOT saturate; NaN keeps
// its sign (0x7f or 0xff); -0.0 stays 0x80. Quantizers clamp to ±448 first
// (torch.clamp(x, -448, 448).to(...)), which F32ToFp8E4M3Saturate does.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace corgi {

// The largest finite float8_e4m3fn magnitude.
inline constexpr float kFp8E4M3Max = 448.0f;

// The exact float32 value of `code` (NaN for 0x7f/0xff).
float Fp8E4M3ToF32(uint8_t code);

// Round to nearest even as torch's cast does: |f| > 464 and ±inf give NaN (see above).
uint8_t F32ToFp8E4M3(float f);

// Clamps f to [-448, 448] first (NaN stays NaN), then rounds: what FP8 quantizers store.
uint8_t F32ToFp8E4M3Saturate(float f);

// dst[i] = Fp8E4M3ToF32(src[i]) for n codes.
void Fp8E4M3ToF32(const uint8_t* src, float* dst, size_t n);

}  // namespace corgi
