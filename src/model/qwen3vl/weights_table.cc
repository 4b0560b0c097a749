#include "corgi/model/qwen3vl/weights_table.h"

#include "model/qwen3vl/weight_walk.h"

#include <set>

namespace corgi::qwen3vl {

const char* WeightPartName(WeightPart part) {
  switch (part) {
    case WeightPart::kVisionTower: return "vision tower";
    case WeightPart::kVisionMerger: return "vision merger";
    case WeightPart::kDeepStack: return "deepstack mergers";
    case WeightPart::kTextDecoder: return "text decoder";
    case WeightPart::kEmbedding: return "token embedding";
    case WeightPart::kLmHead: return "lm_head";
  }
  return "?";
}

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
  std::set<std::string> known;
  for (const WeightSpec& spec : WeightTable(config)) {
    const TensorInfo* info = FindWeight(store, spec.name);
    if (info == nullptr) {
      if (!spec.required) continue;
      return NotFoundError("checkpoint lacks tensor " + spec.name + " (" + WeightPartName(spec.part) +
                           ", shape " + spec.shape.ToString() + ")");
    }
    known.insert(info->name);
    if (info->shape != spec.shape) {
      return InvalidArgumentError(spec.name + ": shape " + info->shape.ToString() + " in checkpoint, " +
                                  spec.shape.ToString() + " expected from config.json");
    }
    if (info->dtype != DType::kF32 && info->dtype != DType::kBF16 && info->dtype != DType::kF16) {
      return UnimplementedError(spec.name + ": dtype " + DTypeName(info->dtype) +
                                " is not supported (F32, BF16, F16)");
    }
  }
  if (unknown != nullptr) {
    unknown->clear();
    for (const TensorInfo& info : store.tensors())
      if (!known.count(info.name)) unknown->push_back(info.name);
  }
  return Status::Ok();
}

}  // namespace corgi::qwen3vl
