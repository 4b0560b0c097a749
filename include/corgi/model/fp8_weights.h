// FP8 checkpoints (quantization_config.quant_method "fp8": Qwen's official
// Qwen3-VL-*-FP8 releases, DeepSeek-V3 style; docs/MODELS.md "FP8 checkpoints").
//
// A converted linear layer `<module>` stores
//   <module>.weight            F8_E4M3 [N, K]
//   <module>.weight_scale_inv  F32 (BF16/F16 accepted) [ceil(N/bn), ceil(K/bk)]
// with weight_block_size [bn, bk] (128×128 in every official release). The value of
// weight[n][k] is fp8(weight[n][k]) · scale_inv[n/bn][k/bk], in float32; edge blocks are
// partial (the quantizer pads them with zeros), so the last scale row/column covers fewer
// than bn/bk entries. Per-tensor checkpoints (weight_block_size null) store one scale.
//
// Parsing the config: model/fp8_config.h.
//
// corgi runs such weights in its own 8-bit format: ConvertFp8ToQ8 dequantizes 16 rows at a
// time and packs them as kQ8 (core/quant_format.h) — no bf16 copy, on disk or in memory.
// Activations are quantized dynamically per row block by the Q8 matmul, whatever the
// checkpoint's activation_scheme says.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "corgi/core/status.h"
#include "corgi/core/tensor.h"

namespace corgi {

class ThreadPool;

// Checks a converted weight before use; `name` (the weight tensor's name) starts every
// message. InvalidArgument unless weight is a contiguous rank-2 F8_E4M3 [N, K] with N, K > 0
// and scale_inv is F32/BF16/F16 of shape [ceil(N/block_n), ceil(K/block_k)] (per tensor,
// block_n == block_k == 0: one element, shape [], [1] or [1, 1]) holding only finite values.
// block_n and block_k must both be positive or both 0.
Status CheckFp8Weight(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                      int64_t block_n, int64_t block_k);

// Writes the kQ8 packing of the dequantized weight (quant::PackedBytes(kQ8, N, K) bytes at
// out): each 16-row panel is dequantized into float32 (fp8 · its block's scale, as
// DequantizeFp8) and packed with ops::QuantizePanel, so memory beyond `out` is one panel per
// thread. Errors: CheckFp8Weight's, and InvalidArgument naming the tensor and row when a
// dequantized value is not finite (a NaN code 0x7f/0xff, or fp8 · scale overflowing).
// The bytes do not depend on the pool's size.
Status ConvertFp8ToQ8(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                      int64_t block_n, int64_t block_k, void* out, ThreadPool* pool);

// The float32 reference of an FP8 weight: out[n·K + k] = fp8(weight[n][k]) ·
// float(scale_inv[n/block_n][k/block_k]), rounded once to float32 (what
// `w.float() * scale` gives in PyTorch). Errors as ConvertFp8ToQ8.
Status DequantizeFp8(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                     int64_t block_n, int64_t block_k, float* out);

// The block quantizer of FP8 releases (DeepSeek's and Qwen's tools, transformers' on-the-fly
// FineGrainedFP8): for each block, scale_inv = amax / 448 in float32 (1 for an all-zero block,
// so no scale is 0) and code = F32ToFp8E4M3Saturate(w / scale_inv). Partial edge blocks use
// the amax of the entries they have.
//
// One band of rows (rows <= block_n, one scale row): w [rows, k] float32 row stride k,
// codes [rows, k], scales [ceil(k / block_k)].
void QuantizeFp8Band(const float* w, int64_t rows, int64_t k, int64_t block_k, uint8_t* codes, float* scales);
// A whole matrix w [n, k]: codes [n, k], scale_inv [ceil(n/block_n), ceil(k/block_k)]
// (block_n, block_k > 0).
void QuantizeToFp8(const float* w, int64_t n, int64_t k, int64_t block_n, int64_t block_k, uint8_t* codes,
                   float* scale_inv);

}  // namespace corgi
