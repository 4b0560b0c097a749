// The model families corgi runs, and loading a checkpoint of any of them by its
// config.json "model_type". A family is a folder under model/ plus one line in
// model/registry.cc (DESIGN.md "Model families").
//
//   StatusOr<std::unique_ptr<LoadedModel>> model = LoadModel("/models/qwen3-vl-2b");
//   StatusOr<const ModelFamily*> family = FindModelFamily("qwen2_5_vl");
//
// Thread-safety: the table is immutable; every function may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/checkpoint_summary.h"
#include "corgi/model/loaded_model.h"
#include "corgi/model/synthetic_options.h"
#include "corgi/model/weight_binding.h"

namespace corgi {

struct ModelFamily {
  std::string model_type;    // config.json "model_type": "qwen3_vl", "qwen2_5_vl"
  std::string display_name;  // "Qwen3-VL"
  // Loads and validates a checkpoint directory of this family.
  std::function<StatusOr<std::unique_ptr<LoadedModel>>(const std::string& dir, const LoadOptions& options)> load;
  // Checks the tensors against the family's table and summarizes (`corgi inspect`).
  std::function<StatusOr<CheckpointSummary>(const std::string& dir)> summarize;
  // The checkpoint's weight table (from its config.json) and the lookup that accepts the
  // family's other tensor spellings (`corgi quantize`).
  std::function<StatusOr<std::vector<WeightSpec>>(const std::string& dir)> weight_table;
  FindWeightFn find_weight = nullptr;
  // `corgi make-model` presets ("tiny", "small", real sizes) and the writer.
  std::vector<std::string> presets;
  std::function<Status(const std::string& preset, const SyntheticOptions& options, const std::string& out_dir,
                       ThreadPool* pool)>
      write_synthetic;
};

// Every registered family, in registration order (the first is the default).
const std::vector<ModelFamily>& ModelFamilies();
// NotFound naming the supported model types.
StatusOr<const ModelFamily*> FindModelFamily(const std::string& model_type);
// config.json's "model_type" in `dir` (errors name the file).
StatusOr<std::string> ReadModelType(const std::string& dir);
// Reads config.json's model_type and loads the checkpoint with that family.
// `options` may quantize float weights at load (weight_binding.h).
StatusOr<std::unique_ptr<LoadedModel>> LoadModel(const std::string& dir, const LoadOptions& options = {});
StatusOr<CheckpointSummary> SummarizeCheckpoint(const std::string& dir);
// The family of the checkpoint in `dir` (by its config.json's model_type).
StatusOr<const ModelFamily*> FamilyOfCheckpoint(const std::string& dir);

}  // namespace corgi
