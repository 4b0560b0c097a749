// Private to the model layer: the family-independent parts of `corgi inspect`'s
// CheckpointSummary — the header fields, the parameter/byte accounting per weight part,
// the file list, the text decoder's shape line. A family's SummarizeCheckpoint supplies its
// config, weight table and vision facts.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "corgi/io/safetensors.h"
#include "corgi/model/checkpoint_summary.h"
#include "corgi/model/weight_spec.h"

namespace corgi::model_internal {

// Tallies every tensor of `table` found in `store` with `find`: parts (in WeightPart
// order, empty ones omitted), dtype_tensors, weight_bytes and the parameter totals
// (vision = IsVisionPart). A stored lm_head counts bytes but no parameters when
// `lm_head_unused` (a tied checkpoint that still carries one).
void TallyWeights(const TensorStore& store, std::span<const WeightSpec> table, FindWeightFn find,
                  bool lm_head_unused, CheckpointSummary* s);

// Fills files (size -1 when unreadable) and file_bytes from the store's files.
void TallyFiles(const TensorStore& store, CheckpointSummary* s);

// "[a,b,c]"
std::string ListText(const std::vector<int64_t>& v);

// The identity fields and the f32 KV bytes per token from a family's config.
template <class ModelConfig>
void SummarizeConfig(const std::string& dir, const ModelConfig& c, CheckpointSummary* s) {
  s->directory = dir;
  s->model_type = c.model_type;
  s->architecture = c.architecture;
  s->stored_dtype = c.torch_dtype;
  s->kv_bytes_per_token =
      2 * c.text.num_hidden_layers * c.text.num_key_value_heads * c.text.head_dim * 4;
}

// "28 layers, hidden 2048, heads 16 (kv 8) x 128, mlp 6144, vocab 151936, rope theta
// 5000000, mrope [24,20,20]" from a family's TextConfig.
template <class TextConfig>
std::string DecoderShapeLine(const TextConfig& t) {
  char rope[64];
  std::snprintf(rope, sizeof(rope), "%.0f", t.rope_theta);
  auto n = [](int64_t x) { return std::to_string(x); };
  return n(t.num_hidden_layers) + " layers, hidden " + n(t.hidden_size) + ", heads " +
         n(t.num_attention_heads) + " (kv " + n(t.num_key_value_heads) + ") x " + n(t.head_dim) +
         ", mlp " + n(t.intermediate_size) + ", vocab " + n(t.vocab_size) + ", rope theta " + rope +
         ", mrope " + ListText(t.mrope_section);
}

}  // namespace corgi::model_internal
