// Qwen2.5-VL configurations for synthetic checkpoints (`corgi make-model --family
// qwen2_5_vl --preset`). 3b/7b/32b are the released Instruct models' shapes; tiny and
// small are ours: the real vocabulary and layouts with fewer/narrower layers, for tests
// and quick benchmarks. Pure data; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/io/checkpoint_configs.h"
#include "corgi/model/qwen2_5vl/config.h"

namespace corgi::qwen2_5vl {

// "tiny" (unit tests and the golden fixtures: these exact shapes), "small" (quick
// benchmarks), "3b", "7b", "32b". NotFound for other names.
StatusOr<ModelConfig> PresetConfig(const std::string& name);
std::vector<std::string> PresetNames();

// The preprocessor and generation configs of the 7B Instruct release.
PreprocessorConfig DefaultPreprocessorConfig();
GenerationConfig DefaultGenerationConfig();

}  // namespace corgi::qwen2_5vl
