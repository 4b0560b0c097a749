// Qwen2.5-VL's config.json, parsed into plain structs with every field the model needs
// checked (present, right type, in range, consistent). Two layouts are accepted:
//
//  * the 4.x release layout (Qwen/Qwen2.5-VL-7B-Instruct): text fields at the top level,
//    `vision_config`, `rope_theta` + `rope_scaling` {type: "mrope", mrope_section};
//  * transformers v5: `text_config` and `vision_config` objects, the rope settings as
//    `rope_parameters` {rope_type, rope_theta, mrope_section} (or rope_scaling) inside
//    text_config.
//
// Errors are InvalidArgument/DataLoss naming the file and key ("config.json:
// vision_config.window_size must be ..."), Unimplemented for settings corgi does not run
// (sliding-window attention, another activation). ModelConfigToJson writes the 4.x release
// layout (make-model). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/status.h"

namespace corgi::qwen2_5vl {

struct TextConfig {
  int64_t hidden_size = 0;          // D
  int64_t num_hidden_layers = 0;    // L
  int64_t num_attention_heads = 0;  // nh
  int64_t num_key_value_heads = 0;  // nkv (divides nh)
  int64_t head_dim = 0;             // D / nh (not a config key in Qwen2.5-VL)
  int64_t intermediate_size = 0;    // I
  int64_t vocab_size = 0;           // embedding rows (padded beyond the tokenizer)
  int64_t max_position_embeddings = 0;
  double rope_theta = 1000000.0;
  double rms_norm_eps = 1e-6;
  std::vector<int64_t> mrope_section;  // [16, 24, 24]: t, h, w slots; sums to head_dim / 2
  std::string hidden_act = "silu";
};

struct VisionConfig {
  int64_t depth = 0;
  int64_t hidden_size = 0;  // Hv
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;  // Iv (3420 in the 3B/7B release, not a multiple of 64)
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t in_channels = 3;      // "in_chans" in the 4.x release, "in_channels" in v5
  int64_t out_hidden_size = 0;  // == text hidden_size
  int64_t window_size = 112;    // pixels; windows of window_size / (merge * patch) merged tokens
  std::vector<int64_t> fullatt_block_indexes;  // blocks attending over the whole frame
  int64_t tokens_per_second = 2;               // video only (temporal positions)
  double rope_theta = 10000.0;                 // the 2-D rotary's base (v5: rope_parameters)
  std::string hidden_act = "silu";

  int64_t head_dim() const { return hidden_size / num_heads; }
  // Window side in merged tokens (HF's vit_merger_window_size): 4 for the releases.
  int64_t window_merged() const { return window_size / spatial_merge_size / patch_size; }
  bool full_attention(int64_t block) const;
};

struct ModelConfig {
  std::string model_type = "qwen2_5_vl";
  std::string architecture = "Qwen2_5_VLForConditionalGeneration";
  std::string torch_dtype;  // "bfloat16" | "float32" | "float16" (informational)
  bool tie_word_embeddings = false;
  int64_t image_token_id = 151655;
  int64_t video_token_id = 151656;
  int64_t vision_start_token_id = 151652;
  int64_t vision_end_token_id = 151653;
  TextConfig text;
  VisionConfig vision;
};

StatusOr<ModelConfig> ParseModelConfig(std::string_view json);
// Reads and parses a file; errors carry the path.
StatusOr<ModelConfig> LoadModelConfig(const std::string& path);
// The 4.x release layout, pretty-printed.
std::string ModelConfigToJson(const ModelConfig& config);

}  // namespace corgi::qwen2_5vl
