// What `corgi inspect` reports about a checkpoint directory of any family: architecture,
// parameter counts per part, dtypes, file sizes and the memory inference will need.
// Families fill it from config.json and the safetensors headers only (weights stay
// mapped, untouched).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace corgi {

struct PartCount {
  std::string part;  // the family's weight-part name ("text.layers", "vision.blocks", ...)
  int64_t parameters = 0;
  int64_t tensors = 0;
  int64_t bytes = 0;  // as stored
  std::map<std::string, int64_t> format_bytes;  // "BF16", "Q4", "Q8", "F8_E4M3" -> bytes
};

struct CheckpointSummary {
  std::string directory;
  std::string model_type;    // "qwen3_vl"
  std::string architecture;  // "Qwen3VLForConditionalGeneration"
  std::string stored_dtype;  // config.json's torch_dtype (informational)
  // The family's shape facts, one line each: {"text", "28 layers, hidden 2048, ..."}.
  std::vector<std::pair<std::string, std::string>> shape;
  std::vector<PartCount> parts;          // in the family's part order, empty parts omitted
  int64_t text_parameters = 0;           // decoder + embedding (+ lm_head when untied)
  int64_t vision_parameters = 0;         // tower + mergers
  int64_t total_parameters = 0;
  bool lm_head_tied = false;             // true when lm_head reuses the embedding
  std::map<std::string, int64_t> dtype_tensors;  // "BF16" (or "Q4", "Q8", "F8_E4M3") -> tensor count
  std::string quantization;              // config.json's quantization_config: "corgi q4", "fp8"; "" none
  std::vector<std::pair<std::string, int64_t>> files;  // path, size in bytes
  int64_t file_bytes = 0;
  int64_t weight_bytes = 0;              // tensor data as stored (mmap'd at run time)
  int64_t kv_bytes_per_token = 0;        // f32 K and V, all layers
  int64_t vision_activation_bytes_1024x768 = 0;  // peak vision scratch for a 1024x768 image
  std::vector<std::string> unknown_tensors;
};

}  // namespace corgi
