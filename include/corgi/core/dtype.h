// Element types of tensors. Checkpoints hold F32/BF16/F16; other safetensors dtypes
// are recognised by name only so they can be rejected with a clear message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace corgi {

enum class DType : uint8_t { kF32, kF16, kBF16, kI32, kI64 };

// Bytes per element.
size_t DTypeSize(DType dtype);
// Safetensors spelling: "F32", "F16", "BF16", "I32", "I64".
const char* DTypeName(DType dtype);
// Parses the safetensors spelling; nullopt for anything else.
std::optional<DType> ParseDType(std::string_view name);

}  // namespace corgi
