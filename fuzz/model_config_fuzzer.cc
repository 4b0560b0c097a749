// A checkpoint's config.json. What ParseModelConfig accepts, ModelConfigToJson writes
// back, and that text must parse again (make-model writes configs this way).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/check.h"
#include "corgi/io/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corgi::StatusOr<corgi::ModelConfig> config = corgi::ParseModelConfig(text);
  if (!config.ok()) return 0;
  std::string again = corgi::ModelConfigToJson(*config);
  corgi::StatusOr<corgi::ModelConfig> reparsed = corgi::ParseModelConfig(again);
  CORGI_CHECK(reparsed.ok()) << reparsed.status().ToString() << "\n" << again;
  return 0;
}
