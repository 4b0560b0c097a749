// Qwen2.5-VL checkpoint tensors: the one list of them (names, shapes as functions of the
// config, required or not, part, initialization) and the plain structs of zero-copy
// TensorViews they bind to.
//
// VisitWeights walks every tensor once, handing each spec together with the address of
// the view it binds to; the table (validation, make-model, inspect) is that walk with
// the views ignored, and BindWeights is that walk storing each found tensor's view. So a
// tensor's name and shape are written in exactly one place.
//
// Names are the 4.x release's (`visual.blocks.0.attn.qkv.weight`, `model.layers.0.mlp.
// up_proj.weight`, `lm_head.weight`); the transformers v5 spelling (`model.visual.`,
// `model.language_model.`) is accepted when loading. Pure functions; the bound views are
// immutable and safe to share across threads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/tensor.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/weight_binding.h"
#include "corgi/model/decoder_weights.h"
#include "corgi/model/weight_spec.h"
#include "corgi/model/qwen2_5vl/config.h"

namespace corgi::qwen2_5vl {

using corgi::Linear;

struct VisionBlock {
  TensorView norm1, norm2;  // RMSNorm [Hv]
  Linear qkv;               // [3Hv, Hv] + bias: rows Q (all heads); K; V
  Linear proj;              // [Hv, Hv] + bias
  Linear gate, up;          // [Iv, Hv] + bias
  Linear down;              // [Hv, Iv] + bias
};

struct VisionWeights {
  TensorView patch_embed;  // Conv3d [Hv, C, T, P, P] viewed as [Hv, C*T*P*P]; no bias
  std::vector<VisionBlock> blocks;
  TensorView merger_norm;  // ln_q, RMSNorm [Hv] per patch before the merge
  Linear merger_fc1;       // mlp.0 [4Hv, 4Hv] + bias
  Linear merger_fc2;       // mlp.2 [D, 4Hv] + bias
};

// The decoder (model/decoder_weights.h): q/k/v with biases, o and the MLP without, and
// no q/k norms (q_norm and k_norm stay empty).
using TextLayer = DecoderLayer;
using TextWeights = DecoderWeights;

struct Weights {
  VisionWeights vision;
  TextWeights text;
};

// The table's entry types (model/weight_spec.h). Qwen2.5-VL has no DeepStack part and
// initializes with kLinear, kBias, kNormWeight and kEmbedding only.
using corgi::WeightInit;
using corgi::WeightPart;
using corgi::WeightPartName;
using corgi::WeightSpec;

// Calls `visit` for every tensor of a checkpoint with `config`, in checkpoint order, with
// the view inside `*weights` it binds to (whose vectors are sized here). lm_head.weight
// is listed with required = !tie_word_embeddings.
using WeightVisitor = std::function<void(const WeightSpec& spec, TensorView* target)>;
void VisitWeights(const ModelConfig& config, Weights* weights, const WeightVisitor& visit);

// Every tensor's spec (VisitWeights without binding).
std::vector<WeightSpec> WeightTable(const ModelConfig& config);

// `name` in `store` under its release name or its transformers-v5 name. nullptr if absent.
const TensorInfo* FindWeight(const TensorStore& store, const std::string& name);

// Checks every required tensor is present with the table's shape and a float dtype
// (F32/BF16/F16), and optional ones too when present. NotFound names the first missing
// tensor; InvalidArgument a shape mismatch ("visual.blocks.3.attn.qkv.weight: shape [96,
// 32] in checkpoint, [96, 33] expected from config.json"); Unimplemented another dtype.
// Tensors the table does not know are listed in `unknown` (may be null), not an error.
Status ValidateCheckpoint(const TensorStore& store, const ModelConfig& config,
                          std::vector<std::string>* unknown);

// ValidateCheckpoint, then binds every tensor. The views point into `store`, which must
// outlive them.
StatusOr<Weights> BindWeights(const TensorStore& store, const ModelConfig& config, WeightBinder* binder);

}  // namespace corgi::qwen2_5vl
