#include "corgi/model/weight_spec.h"

#include <set>

#include "corgi/model/weight_binding.h"

namespace corgi {

const char* WeightPartName(WeightPart part) {
  switch (part) {
    case WeightPart::kVisionTower:
      return "vision tower";
    case WeightPart::kVisionMerger:
      return "vision merger";
    case WeightPart::kDeepStack:
      return "deepstack mergers";
    case WeightPart::kTextDecoder:
      return "text decoder";
    case WeightPart::kEmbedding:
      return "token embedding";
    case WeightPart::kLmHead:
      return "lm_head";
  }
  return "?";
}

bool IsVisionPart(WeightPart part) {
  return part == WeightPart::kVisionTower || part == WeightPart::kVisionMerger ||
         part == WeightPart::kDeepStack;
}

Status ValidateWeights(const TensorStore& store, std::span<const WeightSpec> table,
                       FindWeightFn find, std::vector<std::string>* unknown) {
  std::set<std::string> known;
  for (const WeightSpec& spec : table) {
    const TensorInfo* info = find(store, spec.name);
    if (info == nullptr) {
      if (!spec.required) continue;
      return NotFoundError("checkpoint lacks tensor " + spec.name + " (" +
                           WeightPartName(spec.part) + ", shape " + spec.shape.ToString() + ")");
    }
    known.insert(info->name);
    StatusOr<DType> stored = StoredFormat(store, *info, spec, find);
    if (!stored.ok()) return stored.status();
    if (*stored == DType::kF8E4M3) known.insert(find(store, Fp8ScaleName(spec.name))->name);
  }
  if (unknown != nullptr) {
    unknown->clear();
    for (const TensorInfo& info : store.tensors())
      if (!known.count(info.name)) unknown->push_back(info.name);
  }
  return Status::Ok();
}

}  // namespace corgi
