// A checkpoint's preprocessor_config.json as image-layer parameters, for every family.
#pragma once

#include "corgi/core/status.h"
#include "corgi/image/preprocess.h"
#include "corgi/io/checkpoint_configs.h"

namespace corgi {

// `base` (the family's Hugging Face defaults: VisionPreprocessParams::Qwen3Vl() or
// Qwen25Vl()) with the checkpoint's pixel bounds, patch sizes and normalization.
// Unimplemented for settings the image layer cannot honor (do_rescale or do_normalize false).
StatusOr<VisionPreprocessParams> PreprocessParamsFor(const PreprocessorConfig& config,
                                                     VisionPreprocessParams base);

}  // namespace corgi
