// `corgi inspect` for a Qwen3-VL checkpoint directory (corgi::CheckpointSummary).
// Reads config.json and the safetensors headers only (weights stay mapped, untouched).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/model/checkpoint_summary.h"
#include "corgi/model/qwen3vl/config.h"

namespace corgi::qwen3vl {

// Validates the checkpoint against the weight table (same errors as loading) and
// summarizes it. Errors: those of LoadModelConfig, TensorStore::Open, ValidateCheckpoint.
StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& model_dir);

}  // namespace corgi::qwen3vl
