// A Qwen2.5-VL checkpoint's config.json (4.x release layout or transformers v5's nested
// one). What ParseModelConfig accepts, ModelConfigToJson writes back in the release
// layout, and that text must parse again to the same JSON (make-model writes configs this way).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/check.h"
#include "corgi/model/qwen2_5vl/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace q = corgi::qwen2_5vl;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corgi::StatusOr<q::ModelConfig> config = q::ParseModelConfig(text);
  if (!config.ok()) return 0;
  std::string again = q::ModelConfigToJson(*config);
  corgi::StatusOr<q::ModelConfig> reparsed = q::ParseModelConfig(again);
  CORGI_CHECK(reparsed.ok()) << reparsed.status().ToString() << "\n" << again;
  CORGI_CHECK(q::ModelConfigToJson(*reparsed) == again) << "not a fixed point:\n" << again;
  return 0;
}
