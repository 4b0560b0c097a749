// Qwen3-VL configurations for synthetic checkpoints (`corgi make-model --preset`).
// 2b/4b/8b are the released Instruct models' shapes (spec §1.1); tiny and small are
// ours: the real vocabulary and layouts with fewer/narrower layers, for tests and
// quick benchmarks. Pure data; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/model/qwen3vl/config.h"

namespace corgi::qwen3vl {

// "tiny" (~5 M parameters: unit tests), "small" (~120 M: quick benchmarks),
// "2b", "4b", "8b". NotFound for other names.
StatusOr<ModelConfig> PresetConfig(const std::string& name);
std::vector<std::string> PresetNames();

// The preprocessor and generation configs every Qwen3-VL checkpoint ships.
PreprocessorConfig DefaultPreprocessorConfig();
GenerationConfig DefaultGenerationConfig();

}  // namespace corgi::qwen3vl
