// The YAML configuration (--config FILE, configs/*.yaml) and a server request's per-query
// "settings" (JSON read with the YAML parser): every input goes through both. What is
// accepted must pass ValidateConfig.
#include <cstddef>
#include <cstdint>
#include <string>

#include "corgi/core/check.h"
#include "corgi/pipeline/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  corgi::StatusOr<corgi::pipeline::PipelineConfig> yaml =
      corgi::pipeline::ParseConfigYaml(text, "fuzz.yaml");
  if (yaml.ok()) {
    corgi::Status valid = corgi::pipeline::ValidateConfig(*yaml);
    CORGI_CHECK(valid.ok()) << valid.ToString();
  }
  corgi::StatusOr<corgi::pipeline::PipelineConfig> settings =
      corgi::pipeline::ApplyQuerySettings(corgi::pipeline::PipelineConfig{}, text);
  if (settings.ok()) {
    corgi::Status valid = corgi::pipeline::ValidateConfig(*settings);
    CORGI_CHECK(valid.ok()) << valid.ToString();
  }
  return 0;
}
