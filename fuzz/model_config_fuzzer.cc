// A checkpoint's config.json. What ParseModelConfig accepts, ModelConfigToJson writes
// back, and that text must parse again (make-model writes configs this way).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/check.h"
#include "corgi/model/qwen3vl/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corgi::StatusOr<corgi::qwen3vl::ModelConfig> config = corgi::qwen3vl::ParseModelConfig(text);
  if (!config.ok()) return 0;
  std::string again = corgi::qwen3vl::ModelConfigToJson(*config);
  corgi::StatusOr<corgi::qwen3vl::ModelConfig> reparsed = corgi::qwen3vl::ParseModelConfig(again);
  CORGI_CHECK(reparsed.ok()) << reparsed.status().ToString() << "\n" << again;
  return 0;
}
