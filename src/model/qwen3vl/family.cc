#include "corgi/model/qwen3vl/family.h"

#include "corgi/model/qwen3vl/checkpoint_summary.h"
#include "corgi/model/qwen3vl/model.h"
#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/synthetic.h"
#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {

ModelFamily Qwen3VlFamily() {
  ModelFamily f;
  f.model_type = "qwen3_vl";
  f.display_name = "Qwen3-VL";
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
  f.write_synthetic = [](const std::string& preset, const SyntheticOptions& options, const std::string& out_dir,
                         ThreadPool* pool) -> Status {
    CORGI_ASSIGN_OR_RETURN(const ModelConfig config, PresetConfig(preset));
    return WriteSyntheticCheckpoint(config, options, out_dir, pool);
  };
  return f;
}

}  // namespace corgi::qwen3vl
