// The checkpoint JSON files every Hugging Face vision-language family shares:
// preprocessor_config.json and generation_config.json, parsed into plain structs with
// every field checked (present, right type, in range, consistent). config.json is the
// family's own schema (model/<family>/config.h).
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

namespace corgi {

struct PreprocessorConfig {
  int64_t min_pixels = 65536;      // size.shortest_edge (a pixel count, despite the name)
  int64_t max_pixels = 16777216;   // size.longest_edge
  int64_t patch_size = 16;
  int64_t temporal_patch_size = 2;
  int64_t merge_size = 2;
  std::array<float, 3> image_mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std = {0.5f, 0.5f, 0.5f};
  double rescale_factor = 1.0 / 255.0;
  int resample = 3;  // PIL code; 3 = bicubic (the only one supported)
  bool do_resize = true;
  bool do_rescale = true;
  bool do_normalize = true;
  bool do_convert_rgb = true;
  std::string image_processor_type = "Qwen2VLImageProcessorFast";
};

struct GenerationConfig {
  std::vector<int64_t> eos_token_ids;  // accepts a single id or a list
  int64_t bos_token_id = -1;           // -1 when absent
  int64_t pad_token_id = -1;
  bool do_sample = false;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  double repetition_penalty = 1.0;
};

StatusOr<PreprocessorConfig> ParsePreprocessorConfig(std::string_view json);
StatusOr<GenerationConfig> ParseGenerationConfig(std::string_view json);

// Read and parse a file; errors carry the path.
StatusOr<PreprocessorConfig> LoadPreprocessorConfig(const std::string& path);
StatusOr<GenerationConfig> LoadGenerationConfig(const std::string& path);

// Hugging Face layout (4.57 spelling: rope_theta + rope_scaling), pretty-printed.
std::string PreprocessorConfigToJson(const PreprocessorConfig& config);
std::string GenerationConfigToJson(const GenerationConfig& config);

}  // namespace corgi
