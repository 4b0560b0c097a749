#include "apps/cli/load_model.h"

#include "corgi/model/registry.h"

namespace corgi::cli {

StatusOr<std::unique_ptr<LoadedModel>> LoadModelWithWeights(const std::string& dir, const std::string& weights,
                                                            ThreadPool* pool, bool dequantize_fp8) {
  LoadOptions options;
  StatusOr<WeightsMode> mode = ParseWeightsMode(weights);
  if (!mode.ok()) return mode.status().WithContext("--weights");
  options.weights = *mode;
  options.pool = pool;
  options.dequantize_fp8 = dequantize_fp8;
  return LoadModel(dir, options);
}

}  // namespace corgi::cli
