// Reading a YAML text that must hold one document, without YAML::LoadAll: on some
// malformed input (`{"a":-"b":1},"c":2}`) yaml-cpp 0.7's parser keeps reporting empty
// documents without consuming a token, and LoadAll collects them until memory runs out
// (a hang and an unbounded allocation from a 40-byte --config file; found by
// fuzz/pipeline_config_fuzzer, fixed upstream in yaml-cpp PR #1319).
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace corgi::pipeline {

struct YamlDocument {
  YAML::Node root;                         // null when the text holds no document
  std::optional<YAML::Mark> second_start;  // where a second document starts, if any
};

// Reads the first document and looks no further than the start of a second one.
// Throws YAML::Exception (with its Mark) on malformed input, as YAML::Load does.
YamlDocument LoadOneYamlDocument(const std::string& text);

}  // namespace corgi::pipeline
