#include "corgi/model/registry.h"

#include <nlohmann/json.hpp>

#include "corgi/core/json_scan.h"
#include "corgi/core/mapped_file.h"
#include "corgi/model/qwen2_5vl/family.h"
#include "corgi/model/qwen3vl/family.h"

namespace corgi {

const std::vector<ModelFamily>& ModelFamilies() {
  // One line per family; the first is make-model's default.
  static const std::vector<ModelFamily> families = {
      qwen3vl::Qwen3VlFamily(),
      qwen2_5vl::Qwen25VlFamily(),
  };
  return families;
}

StatusOr<const ModelFamily*> FindModelFamily(const std::string& model_type) {
  std::string known;
  for (const ModelFamily& f : ModelFamilies()) {
    if (f.model_type == model_type) return &f;
    known += (known.empty() ? "" : ", ") + f.model_type;
  }
  return NotFoundError("model_type '" + model_type + "' is not supported (supported: " + known + ")");
}

StatusOr<std::string> ReadModelType(const std::string& dir) {
  const std::string path = dir + "/config.json";
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(text, path));
  nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return InvalidArgumentError(path + ": not a JSON object");
  auto it = root.find("model_type");
  if (it == root.end()) return InvalidArgumentError(path + ": missing key 'model_type'");
  if (!it->is_string()) return InvalidArgumentError(path + ": 'model_type' must be a string");
  return it->get<std::string>();
}

StatusOr<const ModelFamily*> FamilyOfCheckpoint(const std::string& dir) {
  CORGI_ASSIGN_OR_RETURN(const std::string type, ReadModelType(dir));
  StatusOr<const ModelFamily*> family = FindModelFamily(type);
  if (!family.ok()) return family.status().WithContext(dir + "/config.json");
  return family;
}

StatusOr<std::unique_ptr<LoadedModel>> LoadModel(const std::string& dir, const LoadOptions& options) {
  CORGI_ASSIGN_OR_RETURN(const ModelFamily* family, FamilyOfCheckpoint(dir));
  return family->load(dir, options);
}

StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& dir) {
  CORGI_ASSIGN_OR_RETURN(const ModelFamily* family, FamilyOfCheckpoint(dir));
  CORGI_ASSIGN_OR_RETURN(CheckpointSummary summary, family->summarize(dir));
  CORGI_ASSIGN_OR_RETURN(const std::optional<Fp8Config> fp8, ReadQuantizationConfig(dir));
  if (fp8) {
    summary.quantization = fp8->per_tensor() ? "fp8 (e4m3, one scale per tensor)"
                                             : "fp8 (e4m3, " + std::to_string(fp8->block_n) + "x" +
                                                   std::to_string(fp8->block_k) + " block scales; runs as Q8)";
  } else if (summary.dtype_tensors.count("Q4") || summary.dtype_tensors.count("Q8")) {
    summary.quantization = summary.dtype_tensors.count("Q4") ? "corgi q4" : "corgi q8";
  }
  return summary;
}

}  // namespace corgi
