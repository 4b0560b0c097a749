// The quantization_config of FP8 checkpoints (quant_method "fp8"): block size, activation
// scheme and the modules left unconverted. The weights themselves: model/fp8_weights.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "corgi/core/status.h"

namespace corgi {

struct Fp8Config {
  // weight_block_size = [block_n (output rows), block_k (inputs)]; both 0 when the
  // checkpoint has one scale per tensor (weight_block_size null).
  int64_t block_n = 128;
  int64_t block_k = 128;
  // "dynamic" (every official Qwen release) or "static". Static checkpoints carry input
  // scales (`<module>.input_scale`) that corgi ignores: it quantizes activations at run time.
  std::string activation_scheme = "dynamic";
  // Modules kept in their float dtype. Informational: the stored dtype of each tensor
  // decides how it is loaded. transformers matches an entry as a substring of the module
  // path ("lm_head", "model.visual.blocks.0.attn.qkv").
  std::vector<std::string> modules_to_not_convert;

  bool per_tensor() const { return block_n == 0; }
};

// The suffix of a converted weight's scale tensor: "<module>.weight" pairs with
// "<module>.weight_scale_inv".
inline constexpr std::string_view kFp8ScaleSuffix = "_scale_inv";
// "<module>.weight" -> "<module>.weight_scale_inv".
inline std::string Fp8ScaleName(const std::string& weight_name) {
  return weight_name + std::string(kFp8ScaleSuffix);
}

// Parses a quantization_config object whose quant_method is "fp8". Keys: fmt (absent or
// "e4m3"), activation_scheme ("dynamic" default, or "static"), weight_block_size (absent:
// [128, 128] as transformers defaults; null: per tensor; else two positive integers),
// scale_fmt (absent or "ue8m0": power-of-two scales, still stored as floats),
// modules_to_not_convert (array of strings, or null). Other keys are ignored.
// Errors name `file` and the key: InvalidArgument for malformed values (not an object,
// quant_method not "fp8", a block size that is not 2-D or not positive), Unimplemented for
// well-formed variants corgi does not run (fmt "e5m2", another activation_scheme or scale_fmt).
StatusOr<Fp8Config> ParseFp8QuantizationConfig(const nlohmann::json& quantization_config,
                                               const std::string& file);

// The same from config.json's text: nullopt when it has no quantization_config (or a null
// one) or its quant_method is not "fp8" (another format, for another reader); errors as above,
// plus InvalidArgument/DataLoss when the text is not a JSON object.
StatusOr<std::optional<Fp8Config>> ReadFp8Config(std::string_view config_json, const std::string& file);

}  // namespace corgi
