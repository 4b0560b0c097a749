// The Qwen2.5-VL vision tower (transformers' Qwen2_5_VisionTransformerPretrainedModel):
// patch embedding without bias, 2-D rotary, RMSNorm blocks with a SwiGLU MLP, attention
// within windows (or whole frames for the fullatt_block_indexes blocks), and the patch
// merger. No learned position table and no DeepStack.
//
// The blocks run with the patches reordered into window order (positions.h
// MakeWindowLayout) in groups of merge² patches; the merger's output is put back into
// prompt order. Every image's result depends only on its own patches (batch invariant).
#pragma once

#include <span>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/image_grid.h"
#include "corgi/model/qwen2_5vl/config.h"
#include "corgi/model/qwen2_5vl/weights.h"
#include "corgi/core/stage_observer.h"
#include "corgi/model/vision_output.h"

namespace corgi::qwen2_5vl {

// Encodes images whose patches are concatenated in `pixel_values` [Np, C*T*P*P]
// (merge-block order per image, images in prompt order; Np = Σ grids[i].patches()).
// Errors: InvalidArgument when a grid is empty or not divisible by the merge size.
// Stages observed (all in input/prompt order, not window order):
// vision.patch_embed [Np,Hv], vision.block{i}.out [Np,Hv], vision.merger [tokens,D].
StatusOr<VisionOutput> EncodeImages(const ModelConfig& config, const VisionWeights& weights,
                                    const float* pixel_values, std::span<const ImageGrid> grids,
                                    ThreadPool* pool, const StageObserver* observer = nullptr);

}  // namespace corgi::qwen2_5vl
