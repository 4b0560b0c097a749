// The one table of Qwen3-VL checkpoint tensors: every name, its shape as a function of
// the config, and whether it is required. The loader checks a checkpoint against it
// (an error names the missing or mismatched tensor), make-model writes exactly it, and
// inspect counts parameters with it. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/tensor.h"
#include "corgi/model/qwen3vl/config.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/weight_spec.h"

namespace corgi::qwen3vl {

// The table's entry types (model/weight_spec.h). Qwen3-VL uses every part, DeepStack
// mergers included, and every init kind.
using corgi::WeightInit;
using corgi::WeightPart;
using corgi::WeightPartName;
using corgi::WeightSpec;

// Every tensor of a Qwen3-VL checkpoint with this config, in checkpoint order.
// lm_head.weight is listed with required = !tie_word_embeddings.
std::vector<WeightSpec> WeightTable(const ModelConfig& config);

// Finds `canonical` in `store`, also under the older prefixes Hugging Face remaps
// ("visual." for "model.visual.", "model." for "model.language_model."). nullptr if absent.
const TensorInfo* FindWeight(const TensorStore& store, const std::string& canonical);

// Checks that every required tensor is present with the table's shape and a float
// dtype (F32/BF16/F16) and that optional ones, when present, match too.
// NotFound names the first missing tensor; InvalidArgument names a shape mismatch
// ("model.visual.blocks.3.attn.qkv.weight: shape [96, 32] in checkpoint, [96, 33] expected").
// Tensors the table does not know are reported in `unknown` (may be null), not an error.
Status ValidateCheckpoint(const TensorStore& store, const ModelConfig& config,
                          std::vector<std::string>* unknown);

}  // namespace corgi::qwen3vl
