// The `models:` section: a local checkpoint or endpoints per phase, validated with the key
// path and position of every error, written back as YAML, documented in docs/CONFIG.md.
#include <gtest/gtest.h>

#include <string>

#include "corgi/core/mapped_file.h"
#include "corgi/pipeline/config.h"
#include "pipeline/config/config_keys.h"
#include "pipeline/config/models_config.h"

namespace corgi::pipeline {
namespace {

void ExpectError(const std::string& yaml, std::initializer_list<std::string> parts) {
  StatusOr<PipelineConfig> c = ParseConfigYaml(yaml, "cfg.yaml");
  ASSERT_FALSE(c.ok()) << "accepted:\n" << yaml;
  for (const std::string& part : parts)
    EXPECT_NE(c.status().message().find(part), std::string::npos)
        << "message: " << c.status().message() << "\nmissing: " << part;
}

const char kTwoPhases[] = R"(models:
  default:
    endpoints:
      - url: http://gpu1:8000/v1
        model: Qwen/Qwen3-VL-8B-Instruct
        api_key_env: VLLM_KEY
        dialect: vllm
        max_in_flight: 16
      - url: https://gpu2:8000/v1
        dialect: vllm
    reasoning_format: json
    image_format: jpeg
    jpeg_quality: 85
    timeout_s: 30.5
    max_retries: 5
  caption:
    checkpoint: models/small
)";

TEST(ModelsConfigTest, ReadsEndpointsAndCheckpoints) {
  StatusOr<PipelineConfig> c = ParseConfigYaml(kTwoPhases, "cfg.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ModelsConfig& m = c->models;
  ASSERT_EQ(m.default_model.remote.endpoints.size(), 2u);
  const EndpointConfig& e = m.default_model.remote.endpoints[0];
  EXPECT_EQ(e.url, "http://gpu1:8000/v1");
  EXPECT_EQ(e.model, "Qwen/Qwen3-VL-8B-Instruct");
  EXPECT_EQ(e.api_key_env, "VLLM_KEY");
  EXPECT_EQ(e.dialect, "vllm");
  EXPECT_EQ(e.max_in_flight, 16);
  EXPECT_EQ(m.default_model.remote.endpoints[1].max_in_flight, 4);  // default
  EXPECT_EQ(m.default_model.remote.reasoning_format, "json");
  EXPECT_EQ(m.default_model.remote.image_format, "jpeg");
  EXPECT_EQ(m.default_model.remote.jpeg_quality, 85);
  EXPECT_DOUBLE_EQ(m.default_model.remote.timeout_s, 30.5);
  EXPECT_EQ(m.default_model.remote.max_retries, 5);
  EXPECT_EQ(m.caption.checkpoint, "models/small");
  EXPECT_FALSE(m.reasoning.is_set());
  EXPECT_TRUE(m.any_set());
}

TEST(ModelsConfigTest, ToYamlRoundTrips) {
  StatusOr<PipelineConfig> c = ParseConfigYaml(kTwoPhases, "cfg.yaml");
  ASSERT_TRUE(c.ok());
  std::string yaml = ConfigToYaml(*c);
  StatusOr<PipelineConfig> back = ParseConfigYaml(yaml, "back.yaml");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  EXPECT_EQ(ModelsToYaml(back->models), ModelsToYaml(c->models));
  EXPECT_EQ(back->models.caption.checkpoint, "models/small");
  EXPECT_EQ(back->models.default_model.remote.endpoints[1].url, "https://gpu2:8000/v1");
}

TEST(ModelsConfigTest, ErrorsNameThePathAndLine) {
  ExpectError("models:\n  captions:\n    checkpoint: x\n", {"cfg.yaml:2:3", "models.captions", "unknown phase"});
  ExpectError("models:\n  caption:\n    checkpoint: x\n    endpoints: [{url: http://a/v1}]\n",
              {"models.caption", "exactly one of checkpoint or endpoints"});
  ExpectError("models:\n  caption: {}\n", {"models.caption", "exactly one"});
  ExpectError("models:\n  default:\n    endpoints:\n      - url: ftp://x\n",
              {"models.default.endpoints[0].url", "http://"});
  ExpectError("models:\n  default:\n    endpoints:\n      - {url: http://x/v1, dialect: tgi}\n",
              {"models.default.endpoints[0].dialect", "tgi", "llama-server"});
  ExpectError("models:\n  default:\n    endpoints:\n      - {url: http://x/v1, max_in_flight: 0}\n",
              {"endpoints[0].max_in_flight"});
  ExpectError("models:\n  default:\n    endpoints:\n      - {url: http://x/v1, api_key: sk-123}\n",
              {"api_key_env"});
  ExpectError("models:\n  default:\n    endpoints:\n      - {url: http://x/v1, modle: m}\n",
              {"endpoints[0].modle", "unknown key"});
  ExpectError("models:\n  default:\n    endpoints: []\n", {"models.default.endpoints", "non-empty"});
  ExpectError("models:\n  default:\n    endpoints: [{url: http://x/v1}]\n    grounding_space: pixels\n",
              {"models.default.grounding_space", "resized_input_pixels"});
  ExpectError("models:\n  default:\n    endpoints: [{url: http://x/v1}]\n    timeout_s: -1\n",
              {"models.default.timeout_s"});
  ExpectError("models:\n  default:\n    endpoints: [{url: http://x/v1}]\n    reasoning_format: xml\n",
              {"reasoning_format", "grammar"});
  ExpectError("models:\n  default:\n    endpoints: [{url: http://x/v1}]\n    max_retries: many\n",
              {"models.default.max_retries", "an integer"});
  ExpectError("models: [a, b]\n", {"models", "mapping"});
}

TEST(ModelsConfigTest, NotAPerQuerySetting) {
  StatusOr<PipelineConfig> c =
      ApplyQuerySettings(PipelineConfig{}, R"({"models": {"caption": {"checkpoint": "x"}}})");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("not a per-query setting"), std::string::npos);
}

TEST(ModelsConfigTest, ConfigMdDocumentsEveryKey) {
  StatusOr<std::string> doc = ReadFileToString(std::string(CORGI_SOURCE_DIR) + "/docs/CONFIG.md");
  ASSERT_TRUE(doc.ok());
  for (const std::string& key : ModelsKeyPaths())
    EXPECT_NE(doc->find("| `" + key + "` |"), std::string::npos) << "docs/CONFIG.md lacks " << key;
}

}  // namespace
}  // namespace corgi::pipeline
