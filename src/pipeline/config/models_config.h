// The `models:` section of a config (docs/CONFIG.md "models", docs/REMOTE.md): per phase
// a local checkpoint or a list of OpenAI-compatible endpoints. Private to the pipeline's
// config reader; structured (lists of maps), so it is read apart from the flat key table.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>

#include "corgi/core/status.h"
#include "corgi/pipeline/config.h"

namespace corgi::pipeline {

// Formats "where: path: message" for a node (file:line:col for files).
using ConfigErrorFn =
    std::function<Status(const YAML::Mark& mark, const std::string& path, const std::string& message)>;

// Reads `node` (the value of `models`) into `models`. Unknown keys, wrong types, invalid
// values and a phase with both or neither of checkpoint/endpoints are errors naming the
// key path ("models.caption.endpoints[0].dialect").
Status ParseModelsSection(const YAML::Node& node, const ConfigErrorFn& error, ModelsConfig* models);

// InvalidArgument naming the first invalid value (also for configs built in code).
Status ValidateModels(const ModelsConfig& models);

// The section as YAML lines indented by two spaces under "models:" (empty when unset);
// ParseModelsSection reads it back to an equal config.
std::string ModelsToYaml(const ModelsConfig& models);

// Every documented key of a phase entry and of an endpoint ("checkpoint", "endpoints[].url").
std::vector<std::string> ModelsKeyPaths();

}  // namespace corgi::pipeline
