// Element types of tensors. Checkpoints hold F32/BF16/F16 (and, in quantized checkpoints,
// U8/I8/F8_E4M3 storage); other safetensors dtypes are recognised by name only so they can
// be rejected with a clear message. kQ8, kQ6 and kQ4 are corgi's block-quantized weight formats
// (core/quant_format.h): a view of that dtype has its logical [N, K] shape and points at
// the packed bytes; they have no per-element size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace corgi {

enum class DType : uint8_t { kF32, kF16, kBF16, kI32, kI64, kI8, kU8, kF8E4M3, kQ8, kQ4, kQ6 };

// Bytes per element; 0 for the block formats kQ8/kQ6/kQ4 (use TensorBytes).
size_t DTypeSize(DType dtype);
// True for kQ8, kQ6 and kQ4.
bool IsBlockQuantized(DType dtype);
// Safetensors spelling: "F32", "F16", "BF16", "I32", "I64", "I8", "U8", "F8_E4M3";
// "Q8", "Q6", "Q4" for corgi's formats (stored in safetensors as U8 bytes).
const char* DTypeName(DType dtype);
// Parses the safetensors spelling (not Q8/Q6/Q4); nullopt for anything else.
std::optional<DType> ParseDType(std::string_view name);

}  // namespace corgi
