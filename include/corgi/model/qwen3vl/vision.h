// The Qwen3-VL vision tower (spec §4): patch embedding, interpolated learned position
// embedding, 2-D rotary, full-attention blocks (block-diagonal per image frame), the
// patch merger and the DeepStack mergers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/qwen3vl/config.h"
#include "corgi/model/qwen3vl/positions.h"
#include "corgi/core/stage_observer.h"
#include "corgi/model/vision_output.h"
#include "corgi/model/qwen3vl/weights.h"

namespace corgi::qwen3vl {

// Encodes images whose patches are concatenated in `pixel_values` [Np, C*T*P*P]
// (merge-block order per image, images in prompt order; Np = Σ grids[i].patches()).
// Errors: InvalidArgument when a grid is not divisible by the merge size.
// Stages observed: vision.patch_embed [Np,Hv], vision.pos_embed [Np,Hv],
// vision.block{i}.out [Np,Hv], vision.deepstack{k} [tokens,D], vision.merger [tokens,D].
StatusOr<VisionOutput> EncodeImages(const ModelConfig& config, const VisionWeights& weights,
                                    const float* pixel_values, std::span<const ImageGrid> grids,
                                    ThreadPool* pool, const StageObserver* observer = nullptr);

}  // namespace corgi::qwen3vl
