#include "corgi/model/qwen3vl/weights_table.h"

#include "model/qwen3vl/weight_walk.h"

namespace corgi::qwen3vl {

namespace {

std::vector<std::string> NameCandidates(const std::string& canonical) {
  std::vector<std::string> names{canonical};
  const std::string vis = "model.visual.", text = "model.language_model.";
  if (canonical.compare(0, vis.size(), vis) == 0) names.push_back("visual." + canonical.substr(vis.size()));
  if (canonical.compare(0, text.size(), text) == 0) names.push_back("model." + canonical.substr(text.size()));
  return names;
}

}  // namespace

std::vector<WeightSpec> WeightTable(const ModelConfig& config) {
  std::vector<WeightSpec> table;
  Weights scratch;  // the walk's binding targets, unused here
  WalkWeights(config, &scratch, [&table](const WeightSpec& spec, TensorView*) { table.push_back(spec); });
  return table;
}

const TensorInfo* FindWeight(const TensorStore& store, const std::string& canonical) {
  for (const std::string& name : NameCandidates(canonical))
    if (const TensorInfo* info = store.Find(name)) return info;
  return nullptr;
}

Status ValidateCheckpoint(const TensorStore& store, const ModelConfig& config,
                          std::vector<std::string>* unknown) {
  return ValidateWeights(store, WeightTable(config), FindWeight, unknown);
}

}  // namespace corgi::qwen3vl
