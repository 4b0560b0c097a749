// The weights of a Qwen-style text decoder (RMSNorm, GQA attention, SwiGLU MLP) as plain
// structs of zero-copy TensorViews into a loaded checkpoint. Families bind their own
// tensor names to these (qwen3vl/weights.h, qwen2_5vl/weights.h); the paged decoder
// (paged_decoder.h) runs them. Immutable once bound; safe to share across threads.
#pragma once

#include <cstdint>
#include <vector>

#include "corgi/core/tensor.h"

namespace corgi {

// A linear layer y = x·Wᵀ + b. bias.data == nullptr when the layer has none.
struct Linear {
  TensorView weight;  // [out, in]
  TensorView bias;    // [out] or empty
};

struct DecoderLayer {
  TensorView input_norm;  // RMSNorm [D]
  Linear q, k, v;         // [nh*hd, D], [nkv*hd, D], [nkv*hd, D]; biases per family
  Linear o;               // [D, nh*hd]
  TensorView q_norm;      // RMSNorm [hd] shared by all heads; empty when the family has none
  TensorView k_norm;      // RMSNorm [hd]; empty when the family has none
  TensorView post_norm;   // RMSNorm [D]
  Linear gate, up;        // [I, D]
  Linear down;            // [D, I]
};

struct DecoderWeights {
  TensorView embed_tokens;  // [V, D]
  std::vector<DecoderLayer> layers;
  TensorView final_norm;  // RMSNorm [D]
  TensorView lm_head;     // [V, D]; the embedding when tied
};

// Bytes one decode step reads: every layer's linears (with biases) and norms, the final
// norm and lm_head (LoadedModel::DecodeWeightBytes).
int64_t DecodeStepWeightBytes(const DecoderWeights& weights);

}  // namespace corgi
