// How a family's checkpoint table describes one tensor (name, shape from the config,
// required or not, part, make-model initialization), and the check of a checkpoint
// against such a table. Each family lists its own tensors (qwen3vl/weights_table.h,
// qwen2_5vl/weights.h); loading, make-model and inspect read the list through these
// types. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/tensor.h"
#include "corgi/io/safetensors.h"

namespace corgi {

// Which part of the model a tensor belongs to (parameter accounting in inspect), in the
// order inspect lists them. A family uses the parts it has.
enum class WeightPart {
  kVisionTower,
  kVisionMerger,
  kDeepStack,
  kTextDecoder,
  kEmbedding,
  kLmHead
};
const char* WeightPartName(WeightPart part);
// Tower, merger and DeepStack mergers: the vision side of the parameter count.
bool IsVisionPart(WeightPart part);

// How make-model initializes a tensor (a real checkpoint's values come from training).
enum class WeightInit { kLinear, kBias, kNormWeight, kNormBias, kEmbedding, kPositionTable };

struct WeightSpec {
  std::string name;  // the family's canonical name
  Shape shape;
  bool required = true;
  WeightPart part = WeightPart::kTextDecoder;
  WeightInit init = WeightInit::kLinear;
  int64_t fan_in = 0;  // input width of a linear map (init scaling)
};

// A family's lookup of a canonical name in a store (accepting its other spellings);
// nullptr when absent.
using FindWeightFn = const TensorInfo* (*)(const TensorStore& store, const std::string& name);

// Checks every required tensor of `table` is in `store` (found with `find`) with the
// table's shape and a float dtype (F32/BF16/F16) — or, for linear weights, a quantized
// storage (weight_binding.h StoredFormat) — and optional ones too when present.
// NotFound names the first missing tensor ("checkpoint lacks tensor NAME (part, shape
// [..])"); InvalidArgument a shape mismatch ("NAME: shape [96, 32] in checkpoint, [96, 33]
// expected from config.json", NAME as stored); Unimplemented another dtype. Tensors the
// table does not know are listed in `unknown` (may be null), not an error.
Status ValidateWeights(const TensorStore& store, std::span<const WeightSpec> table,
                       FindWeightFn find, std::vector<std::string>* unknown);

}  // namespace corgi
