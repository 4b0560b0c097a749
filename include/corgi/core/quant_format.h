// corgi's block-quantized weight formats: the byte layout of a [N, K] linear weight in
// 8 or 4 bits, shared by the kernels (backend), the quantizer and the checkpoint writer.
//
// Both formats cut the weight into panels of 16 output rows ("columns" of y) and, along
// K, blocks of 32 inputs. A panel-block holds 16 float16 scales (one per row) followed by
// the 16×32 quantized values interleaved in k-quads: for quad j (k = 32b + 4j .. +3) the
// 64 bytes are row 0's four values, row 1's four, … row 15's four. One 64-byte load is
// thus 16 rows × 4 inputs, exactly the operand of an int8 dot-product instruction
// (vpdpbusd) against 4 broadcast activation bytes, and a panel streams front to back.
//
//   kQ8: value = scale · q, q ∈ [-127, 127] stored as the byte q + 128. 544 B / 512 weights
//        (8.5 bits per weight).
//   kQ4: value = scale · q, q ∈ [-8, 7] stored as the nibble q + 8; the 4 packed vectors
//        of a block hold quads (2v, 2v+1) of vector v in the (low, high) nibbles of each
//        byte. 288 B / 512 weights (4.5 bits per weight).
//
// N is padded to a multiple of 16 and K to a multiple of 32 with zero weights (scale 0).
// Layout: panel p (rows 16p..16p+15), then block b, at offset (p·blocks + b)·block_bytes.
#pragma once

#include <cstdint>
#include <cstring>

#include "corgi/core/dtype.h"
#include "corgi/core/half.h"

namespace corgi::quant {

constexpr int64_t kPanelRows = 16;  // output rows per panel
constexpr int64_t kBlockK = 32;     // inputs per block (one scale per row per block)
constexpr int64_t kScaleBytes = kPanelRows * 2;  // 16 float16 scales
constexpr int64_t kQ8BlockBytes = kScaleBytes + kPanelRows * kBlockK;      // 544
constexpr int64_t kQ4BlockBytes = kScaleBytes + kPanelRows * kBlockK / 2;  // 288
constexpr int kQ8ZeroPoint = 128;
constexpr int kQ4ZeroPoint = 8;

inline int64_t Panels(int64_t n) { return (n + kPanelRows - 1) / kPanelRows; }
inline int64_t Blocks(int64_t k) { return (k + kBlockK - 1) / kBlockK; }
// Bytes of one panel-block of `format` (kQ8 or kQ4); 0 for other dtypes.
inline int64_t BlockBytes(DType format) {
  return format == DType::kQ8 ? kQ8BlockBytes : format == DType::kQ4 ? kQ4BlockBytes : 0;
}
// Bytes of a packed [n, k] weight.
inline int64_t PackedBytes(DType format, int64_t n, int64_t k) {
  return Panels(n) * Blocks(k) * BlockBytes(format);
}
// Stored bits per weight (8.5, 4.5) including scales, before padding.
inline double BitsPerWeight(DType format) {
  return static_cast<double>(BlockBytes(format)) * 8.0 / (kPanelRows * kBlockK);
}

// The stored q of row c (0..15), input i (0..31) of one panel-block of `format` — the
// layout above, read one value at a time (the scalar reference and dequantization).
inline int StoredValue(const uint8_t* block, DType format, int c, int i) {
  const uint8_t* quants = block + kScaleBytes;
  const int quad = i / 4, byte = c * 4 + i % 4;
  if (format == DType::kQ8) return static_cast<int>(quants[quad * 64 + byte]) - kQ8ZeroPoint;
  const uint8_t packed = quants[(quad / 2) * 64 + byte];
  return static_cast<int>(quad % 2 == 0 ? packed & 0x0f : packed >> 4) - kQ4ZeroPoint;
}

// The scale of row c (0..15) of one panel-block, as float.
inline float StoredScale(const uint8_t* block, int c) {
  uint16_t h;
  std::memcpy(&h, block + 2 * c, 2);
  return F16ToF32(h);
}

}  // namespace corgi::quant
