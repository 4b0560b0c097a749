// Qwen3-VL's config.json, parsed into plain structs with every field the model needs
// checked (present, right type, in range, consistent). Both spellings of the rope
// settings are accepted: 4.57-era `rope_theta` + `rope_scaling` and v5 `rope_parameters`.
//
// Each Parse* function returns InvalidArgument/DataLoss naming the offending key;
// each *ToJson function writes the Hugging Face layout (used by make-model).
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/io/checkpoint_configs.h"

namespace corgi::qwen3vl {

struct TextConfig {
  int64_t hidden_size = 0;          // D
  int64_t num_hidden_layers = 0;    // L
  int64_t num_attention_heads = 0;  // nh
  int64_t num_key_value_heads = 0;  // nkv (divides nh)
  int64_t head_dim = 0;             // 128; nh*head_dim may differ from D (4B)
  int64_t intermediate_size = 0;    // I
  int64_t vocab_size = 0;           // embedding rows (padded, > tokenizer size)
  int64_t max_position_embeddings = 0;
  double rope_theta = 0;
  double rms_norm_eps = 1e-6;
  std::vector<int64_t> mrope_section;  // [24, 20, 20]; sums to head_dim / 2
  bool mrope_interleaved = false;      // Qwen3-VL: true; Qwen2.5-VL: false (chunked)
  bool attention_bias = false;
  std::string hidden_act = "silu";
};

struct VisionConfig {
  int64_t depth = 0;
  int64_t hidden_size = 0;  // Hv
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t patch_size = 16;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t in_channels = 3;
  int64_t out_hidden_size = 0;  // == text hidden_size
  int64_t num_position_embeddings = 0;  // a perfect square (48*48)
  std::vector<int64_t> deepstack_visual_indexes;
  std::string hidden_act = "gelu_pytorch_tanh";
};

struct ModelConfig {
  std::string model_type;    // "qwen3_vl"
  std::string architecture;  // "Qwen3VLForConditionalGeneration"
  std::string torch_dtype;   // "bfloat16" | "float32" | "float16" (informational)
  bool tie_word_embeddings = false;
  int64_t image_token_id = 151655;
  int64_t video_token_id = 151656;
  int64_t vision_start_token_id = 151652;
  int64_t vision_end_token_id = 151653;
  TextConfig text;
  VisionConfig vision;
};

StatusOr<ModelConfig> ParseModelConfig(std::string_view json);

// Read and parse a file; errors carry the path.
StatusOr<ModelConfig> LoadModelConfig(const std::string& path);

// Hugging Face layout (4.57 spelling: rope_theta + rope_scaling), pretty-printed.
std::string ModelConfigToJson(const ModelConfig& config);

}  // namespace corgi::qwen3vl
