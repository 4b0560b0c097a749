// model.safetensors.index.json of a sharded checkpoint. An accepted weight_map must only
// name plain files beside the index (never "../x" or "/etc/x").
#include <cstddef>
#include <cstdint>
#include <string>

#include "corgi/core/check.h"
#include "io/safetensors_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> weight_map;
  if (!corgi::io_internal::ParseSafetensorsIndex(text, &weight_map).ok()) return 0;
  CORGI_CHECK(!weight_map.empty());
  for (const auto& [tensor, shard] : weight_map) {
    CORGI_CHECK(!shard.empty() && shard != "." && shard != ".." &&
                shard.find_first_of(std::string("/\\\0", 3)) == std::string::npos)
        << "shard name " << shard << " escapes the checkpoint directory";
  }
  return 0;
}
