// Private to the pipeline layer (and its tests): the table of configuration keys behind
// ParseConfigYaml, exposed so tests can check that docs/CONFIG.md and configs/default.yaml
// cover every key, and so a config can be written back as YAML.
#pragma once

#include <string>
#include <vector>

#include "corgi/pipeline/config.h"

namespace corgi::pipeline {

// Every leaf key as a dotted path ("max_steps", "ocr.engine", ...), in declaration order.
std::vector<std::string> ConfigKeyPaths();

// The value of key `path` in `config` as YAML scalar text ("6", "0.5", "true", "\"eng\"").
// Empty when `path` is not a key.
std::string ConfigValueText(const PipelineConfig& config, const std::string& path);

// `text` as a double-quoted YAML scalar.
std::string QuoteYaml(const std::string& text);

// `config` as a YAML document that ParseConfigYaml reads back to an equal config.
std::string ConfigToYaml(const PipelineConfig& config);

// The known key closest to `typed` (a dotted path) by edit distance, or empty when none is
// close enough to be a plausible typo.
std::string SuggestConfigKey(const std::string& typed);

}  // namespace corgi::pipeline
