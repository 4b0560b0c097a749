// preprocessor_config.json and generation_config.json of a checkpoint (every input goes
// through both parsers). Accepted configs must survive their own serialization.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/check.h"
#include "corgi/io/checkpoint_configs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corgi::StatusOr<corgi::PreprocessorConfig> pre = corgi::ParsePreprocessorConfig(text);
  if (pre.ok()) {
    std::string again = corgi::PreprocessorConfigToJson(*pre);
    auto reparsed = corgi::ParsePreprocessorConfig(again);
    CORGI_CHECK(reparsed.ok()) << reparsed.status().ToString() << "\n" << again;
  }
  corgi::StatusOr<corgi::GenerationConfig> gen = corgi::ParseGenerationConfig(text);
  if (gen.ok()) {
    std::string again = corgi::GenerationConfigToJson(*gen);
    auto reparsed = corgi::ParseGenerationConfig(again);
    CORGI_CHECK(reparsed.ok()) << reparsed.status().ToString() << "\n" << again;
  }
  return 0;
}
