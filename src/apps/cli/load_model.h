// Loading a checkpoint for the commands that run a model directly (generate, bench), with
// --weights applied.
#pragma once

#include <memory>
#include <string>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/loaded_model.h"

namespace corgi::cli {

// LoadModel(dir) with --weights `weights` ("none", "q8", "q4"); load-time quantization runs
// on `pool` (may be null: one thread). InvalidArgument names --weights for a bad value.
// dequantize_fp8: FP8 weights in float32 (LoadOptions::dequantize_fp8), for references.
StatusOr<std::unique_ptr<LoadedModel>> LoadModelWithWeights(const std::string& dir, const std::string& weights,
                                                            ThreadPool* pool, bool dequantize_fp8 = false);

}  // namespace corgi::cli
