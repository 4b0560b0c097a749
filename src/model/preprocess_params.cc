#include "corgi/model/preprocess_params.h"

namespace corgi {

StatusOr<VisionPreprocessParams> PreprocessParamsFor(const PreprocessorConfig& config,
                                                     VisionPreprocessParams base) {
  if (!config.do_rescale || !config.do_normalize) {
    return UnimplementedError("preprocessor_config.json: do_rescale/do_normalize false is not supported");
  }
  VisionPreprocessParams p = base;
  p.min_pixels = config.min_pixels;
  p.max_pixels = config.max_pixels;
  p.patch_size = config.patch_size;
  p.temporal_patch_size = config.temporal_patch_size;
  p.merge_size = config.merge_size;
  p.image_mean = config.image_mean;
  p.image_std = config.image_std;
  p.rescale_factor = config.rescale_factor;
  p.do_resize = config.do_resize;
  return p;
}

}  // namespace corgi
