// corgi's block-quantized weight formats: the byte layout of a [N, K] linear weight in
// 8, 6 or 4 bits, shared by the kernels (backend), the quantizer and the checkpoint writer.
//
// All formats cut the weight into panels of 16 output rows ("columns" of y) and, along K,
// blocks of 32 inputs. A block's quantized values are interleaved in k-quads: for quad j
// (k = 32b + 4j .. +3) the 64 bytes are row 0's four values, row 1's four, … row 15's four.
// One 64-byte load is thus 16 rows × 4 inputs, exactly the operand of an int8 dot-product
// instruction (vpdpbusd) against 4 broadcast activation bytes, and a panel streams front to
// back. Values are stored unsigned (what vpdpbusd's unsigned operand wants).
//
//   kQ8: w = scale · (u − 128), u ∈ [1, 255]. Block: 16 float16 scales (one per row), then
//        8 quad vectors of bytes. 544 B / 512 weights = 8.5 bits per weight.
//   kQ6: w = d · (u − 32), u ∈ [0, 63], with d per row and 16-input half-block: d = D·code,
//        a signed 8-bit code per row and half under a float16 D per row and group of up to 8
//        blocks (the scheme of llama.cpp's Q6_K; 16 inputs per scale matter at 6 bits). A
//        group starts with its 16 D; each block has 32 code bytes (half 0's 16 rows, then
//        half 1's), 4 nibble vectors with the low 4 bits (vector v holds quads 2v, 2v+1 in
//        the low, high nibbles of each byte), then 2 vectors with the high 2 bits (vector h
//        holds quads 4h..4h+3 at bit shifts 0, 2, 4, 6). (32 + 8 · 416) B / 4096 weights =
//        6.5625 bits per weight.
//   kQ4: asymmetric, w = d · u − m with u ∈ [0, 15], d ≥ 0 and m ≥ 0 per row and block. A
//        group of up to 8 consecutive blocks shares a header of 16 float16 D then 16 float16
//        M (one per row); each block then has 6-bit codes, d = D·sc and m = M·mn (products
//        exact in float32), followed by its 4 nibble vectors as in kQ6. The codes take 24
//        bytes per block: 16 bytes with row c's sc | (mn & 3) << 6, then 8 bytes where byte
//        j holds mn >> 2 of row j (low nibble) and of row j + 8 (high nibble) — decoded with
//        one widening load, a mask and a shift per half. 64 + 8 · 280 B / 4096 weights =
//        4.5 bits per weight.
//        The minimum per block is what a symmetric 4-bit scale lacks: 16 levels cover
//        [min, max] of the block rather than ±max (docs/QUANTIZATION.md has the errors).
//
// N is padded to a multiple of 16 and K to a multiple of 32 with zero weights (scale 0).
// Layout: panel p (rows 16p..16p+15) at p · PanelBytes(format, K); within a panel, block b
// at BlockOffset(format, b) (for kQ6 and kQ4 its group header precedes the group's first
// block).
#pragma once

#include <cstdint>
#include <cstring>

#include "corgi/core/dtype.h"
#include "corgi/core/half.h"

namespace corgi::quant {

constexpr int64_t kPanelRows = 16;  // output rows per panel
constexpr int64_t kBlockK = 32;     // inputs per block
constexpr int64_t kScaleBytes = kPanelRows * 2;  // 16 float16 values
constexpr int64_t kQuadVectorBytes = kPanelRows * 4;  // 64: one k-quad of 16 rows
constexpr int64_t kNibbleBytes = kPanelRows * kBlockK / 2;  // 256: 4 nibble vectors
constexpr int64_t kGroupBlocks = 8;  // kQ6/kQ4: blocks sharing one group header
constexpr int64_t kQ8BlockBytes = kScaleBytes + kPanelRows * kBlockK;  // 544
constexpr int64_t kQ6HalfK = 16;                     // inputs per kQ6 scale
constexpr int64_t kQ6HeaderBytes = kScaleBytes;      // 16 float16 D
constexpr int64_t kQ6CodeBytes = 2 * kPanelRows;     // signed 8-bit codes, 2 halves × 16 rows
constexpr int64_t kQ6BlockBytes = kQ6CodeBytes + kNibbleBytes + kNibbleBytes / 2;  // 416
constexpr int64_t kQ4HeaderBytes = 2 * kScaleBytes;  // 16 float16 D, 16 float16 M
constexpr int64_t kQ4CodeBytes = kPanelRows + kPanelRows / 2;  // 24: 6-bit sc and mn
constexpr int64_t kQ4BlockBytes = kQ4CodeBytes + kNibbleBytes;  // 280
constexpr int kQ8ZeroPoint = 128;
constexpr int kQ6ZeroPoint = 32;
constexpr int kQ6CodeMax = 127;
constexpr int kQ4CodeMax = 63;  // 6-bit sc and mn

inline int64_t Panels(int64_t n) { return (n + kPanelRows - 1) / kPanelRows; }
inline int64_t Blocks(int64_t k) { return (k + kBlockK - 1) / kBlockK; }

// Bytes of one block of `format` (without its share of a group header); 0 for other dtypes.
constexpr int64_t BlockBytes(DType format) {
  return format == DType::kQ8 ? kQ8BlockBytes : format == DType::kQ6 ? kQ6BlockBytes : format == DType::kQ4 ? kQ4BlockBytes : 0;
}
// Bytes of a group header (0: kQ8 has none).
constexpr int64_t HeaderBytes(DType format) {
  return format == DType::kQ6 ? kQ6HeaderBytes : format == DType::kQ4 ? kQ4HeaderBytes : 0;
}
// Bytes of a whole group of kGroupBlocks blocks with its header.
constexpr int64_t GroupBytes(DType format) { return HeaderBytes(format) + kGroupBlocks * BlockBytes(format); }
// Offset of the block's quantized values from the block's start (after scales or codes).
constexpr int64_t ValueOffset(DType format) {
  return format == DType::kQ8 ? kScaleBytes : format == DType::kQ6 ? kQ6CodeBytes : kQ4CodeBytes;
}
// Offset of block b from the start of its panel.
constexpr int64_t BlockOffset(DType format, int64_t b) {
  if (HeaderBytes(format) == 0) return b * BlockBytes(format);
  return (b / kGroupBlocks) * GroupBytes(format) + HeaderBytes(format) + (b % kGroupBlocks) * BlockBytes(format);
}
// The group header of block b's group, from the start of the panel.
constexpr int64_t HeaderOffset(DType format, int64_t b) { return (b / kGroupBlocks) * GroupBytes(format); }
// Bytes of one panel of a weight with k inputs.
inline int64_t PanelBytes(DType format, int64_t k) {
  const int64_t blocks = Blocks(k);
  return (blocks + kGroupBlocks - 1) / kGroupBlocks * HeaderBytes(format) + blocks * BlockBytes(format);
}
// Bytes of a packed [n, k] weight.
inline int64_t PackedBytes(DType format, int64_t n, int64_t k) { return Panels(n) * PanelBytes(format, k); }
// The value subtracted from each stored u (kQ8, kQ6); kQ4 subtracts m instead.
constexpr int ZeroPoint(DType format) {
  return format == DType::kQ8 ? kQ8ZeroPoint : format == DType::kQ6 ? kQ6ZeroPoint : 0;
}
// Inputs per scale: 16 for kQ6, 32 otherwise.
constexpr int64_t ScaleK(DType format) { return format == DType::kQ6 ? kQ6HalfK : kBlockK; }

// The stored u of row c (0..15), input i (0..31) of the block at `block` (BlockOffset):
// [1, 255] (kQ8), [0, 63] (kQ6), [0, 15] (kQ4) — the layout above, one value at a time (the
// scalar reference and dequantization).
inline int StoredValue(const uint8_t* block, DType format, int c, int i) {
  const int quad = i / 4, byte = c * 4 + i % 4;
  const uint8_t* values = block + ValueOffset(format);
  if (format == DType::kQ8) return values[quad * kQuadVectorBytes + byte];
  const uint8_t packed = values[(quad / 2) * kQuadVectorBytes + byte];
  const int low = quad % 2 == 0 ? packed & 0x0f : packed >> 4;
  if (format == DType::kQ4) return low;
  const uint8_t high = values[kNibbleBytes + (quad / 4) * kQuadVectorBytes + byte];
  return low | ((high >> (2 * (quad % 4))) & 3) << 4;
}

inline float LoadF16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

// kQ4: the 6-bit codes (sc, mn) of row c of the block at `block`.
inline void Q4Codes(const uint8_t* block, int c, int* sc, int* mn) {
  const int low = block[c];
  const int high = (block[kPanelRows + c % 8] >> (4 * (c / 8))) & 0x0f;
  *sc = low & kQ4CodeMax;
  *mn = (low >> 6) | high << 2;
}

// The scale of row c for input i (0..31) of block b of the panel at `panel`, as float: the
// stored float16 (kQ8), D·code of i's half (kQ6) or D·sc (kQ4).
inline float StoredScale(const uint8_t* panel, DType format, int c, int64_t b, int i) {
  const uint8_t* block = panel + BlockOffset(format, b);
  if (format == DType::kQ8) return LoadF16(block + 2 * c);
  const uint8_t* header = panel + HeaderOffset(format, b);
  if (format == DType::kQ6) {
    const auto code = static_cast<int8_t>(block[(i / kQ6HalfK) * kPanelRows + c]);
    return LoadF16(header + 2 * c) * static_cast<float>(code);
  }
  int sc, mn;
  Q4Codes(block, c, &sc, &mn);
  return LoadF16(header + 2 * c) * static_cast<float>(sc);
}

// kQ4: the minimum m = M·mn of row c of block b (0 for the symmetric formats).
inline float StoredMin(const uint8_t* panel, DType format, int c, int64_t b) {
  if (format != DType::kQ4) return 0.0f;
  int sc, mn;
  Q4Codes(panel + BlockOffset(format, b), c, &sc, &mn);
  return LoadF16(panel + HeaderOffset(format, b) + kScaleBytes + 2 * c) * static_cast<float>(mn);
}

}  // namespace corgi::quant
