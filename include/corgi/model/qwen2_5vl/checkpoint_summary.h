// `corgi inspect` for a Qwen2.5-VL checkpoint directory (corgi::CheckpointSummary).
// Reads config.json and the safetensors headers only (weights stay mapped, untouched).
#pragma once

#include <string>

#include "corgi/core/status.h"
#include "corgi/model/checkpoint_summary.h"

namespace corgi::qwen2_5vl {

// Validates the checkpoint against the weight table (same errors as loading) and
// summarizes it. Errors: those of LoadModelConfig, TensorStore::Open, ValidateCheckpoint.
StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& model_dir);

}  // namespace corgi::qwen2_5vl
