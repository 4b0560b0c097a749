#include "corgi/model/qwen2_5vl/family.h"

#include "corgi/model/qwen2_5vl/checkpoint_summary.h"
#include "corgi/model/qwen2_5vl/model.h"
#include "corgi/model/qwen2_5vl/presets.h"
#include "corgi/model/qwen2_5vl/synthetic.h"
#include "corgi/model/qwen2_5vl/weights.h"

namespace corgi::qwen2_5vl {

ModelFamily Qwen25VlFamily() {
  ModelFamily f;
  f.model_type = "qwen2_5_vl";
  f.display_name = "Qwen2.5-VL";
  f.load = [](const std::string& dir, const LoadOptions& options) -> StatusOr<std::unique_ptr<LoadedModel>> {
    CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Model> m, Model::Load(dir, options));
    return std::unique_ptr<LoadedModel>(std::move(m));
  };
  f.summarize = [](const std::string& dir) { return SummarizeCheckpoint(dir); };
  f.weight_table = [](const std::string& dir) -> StatusOr<std::vector<WeightSpec>> {
    CORGI_ASSIGN_OR_RETURN(const ModelConfig config, LoadModelConfig(dir + "/config.json"));
    return WeightTable(config);
  };
  f.find_weight = FindWeight;
  f.presets = PresetNames();
  f.write_synthetic = [](const std::string& preset, const SyntheticOptions& options,
                         const std::string& out_dir, ThreadPool* pool) -> Status {
    CORGI_ASSIGN_OR_RETURN(const ModelConfig config, PresetConfig(preset));
    return WriteSyntheticCheckpoint(config, options, out_dir, pool);
  };
  return f;
}

}  // namespace corgi::qwen2_5vl
