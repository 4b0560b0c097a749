// What `corgi inspect` reports about a Qwen3-VL checkpoint directory: architecture,
// parameter counts per part, dtypes, file sizes and the memory inference will need.
// Reads config.json and the safetensors headers only (weights stay mapped, untouched).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/io/model_config.h"

namespace corgi::qwen3vl {

struct PartCount {
  std::string part;       // WeightPartName
  int64_t parameters = 0;
  int64_t tensors = 0;
  int64_t bytes = 0;      // as stored
};

struct CheckpointSummary {
  std::string directory;
  ModelConfig config;
  std::vector<PartCount> parts;          // in WeightPart order, parts with no tensors omitted
  int64_t text_parameters = 0;           // decoder + embedding (+ lm_head when untied)
  int64_t vision_parameters = 0;         // tower + merger + deepstack
  int64_t total_parameters = 0;
  bool lm_head_tied = false;             // true when lm_head reuses the embedding
  std::map<std::string, int64_t> dtype_tensors;  // "BF16" -> tensor count
  std::vector<std::pair<std::string, int64_t>> files;  // path, size in bytes
  int64_t file_bytes = 0;
  int64_t weight_bytes = 0;              // tensor data as stored (mmap'd at run time)
  int64_t kv_bytes_per_token = 0;        // f32 K and V, all layers
  int64_t vision_activation_bytes_1024x768 = 0;  // peak vision scratch for a 1024x768 image
  std::vector<std::string> unknown_tensors;
};

// Validates the checkpoint against the weight table (same errors as loading) and
// summarizes it. Errors: those of LoadModelConfig, TensorStore::Open, ValidateCheckpoint.
StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& model_dir);

}  // namespace corgi::qwen3vl
