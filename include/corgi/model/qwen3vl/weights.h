// Qwen3-VL weights bound to a loaded checkpoint: plain structs of zero-copy TensorViews
// into the mmap'd safetensors files (names and shapes from weights_table.h).
// Immutable after BindWeights; safe to share across threads.
#pragma once

#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/tensor.h"
#include "corgi/model/decoder_weights.h"
#include "corgi/model/qwen3vl/config.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/weight_binding.h"

namespace corgi::qwen3vl {

using corgi::Linear;

// A LayerNorm's scale and shift.
struct Norm {
  TensorView weight;  // [width]
  TensorView bias;    // [width] or empty
};

struct VisionBlock {
  Norm norm1, norm2;  // LayerNorm over Hv
  Linear qkv;         // [3Hv, Hv]: rows Q(all heads); K; V
  Linear proj;        // [Hv, Hv]
  Linear fc1;         // [Iv, Hv]
  Linear fc2;         // [Hv, Iv]
};

// Patch merger: the main one normalizes each patch (width Hv) before the 2x2 concat;
// DeepStack mergers normalize after it (width 4Hv).
struct Merger {
  Norm norm;
  Linear fc1;  // [4Hv, 4Hv]
  Linear fc2;  // [D, 4Hv]
};

struct VisionWeights {
  Linear patch_embed;        // weight viewed as [Hv, C*T*P*P] (Conv3d kernel == stride)
  TensorView pos_embed;      // [num_position_embeddings, Hv]
  std::vector<VisionBlock> blocks;
  Merger merger;
  std::vector<Merger> deepstack;  // one per deepstack_visual_indexes entry
};

// The decoder (model/decoder_weights.h): q/k/v biases when attention_bias, per-head q/k
// RMSNorm [hd] in every layer.
using TextLayer = DecoderLayer;
using TextWeights = DecoderWeights;

struct Weights {
  VisionWeights vision;
  TextWeights text;
};

// Checks the checkpoint against the weight table (ValidateCheckpoint) and binds every
// tensor. The returned views point into `store`, which must outlive them.
StatusOr<Weights> BindWeights(const TensorStore& store, const ModelConfig& config, WeightBinder* binder);

}  // namespace corgi::qwen3vl
