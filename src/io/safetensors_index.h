// model.safetensors.index.json: the weight_map of a sharded checkpoint. Internal to io;
// declared here so the index parser can be tested and fuzzed without files on disk.
#pragma once

#include <map>
#include <string>

#include "corgi/core/status.h"

namespace corgi::io_internal {

// Reads weight_map (tensor -> shard file name) from the index text. DataLoss when the
// text is not a JSON object with a non-empty "weight_map" object of strings, or when a
// shard is not a plain file name in the index's directory ("../x", "/etc/x").
Status ParseSafetensorsIndex(const std::string& text,
                             std::map<std::string, std::string>* weight_map);

}  // namespace corgi::io_internal
