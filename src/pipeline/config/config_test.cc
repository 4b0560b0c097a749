// Tests of the YAML configuration: every key read, unknown keys and bad values refused
// with the key's path and position, and configs/default.yaml / docs/CONFIG.md matching the
// built-in defaults of config.h.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>

#include "corgi/core/mapped_file.h"
#include "corgi/core/thread_pool.h"
#include "corgi/pipeline/config.h"
#include "pipeline/config/config_keys.h"

namespace corgi::pipeline {
namespace {

const std::string kSource = CORGI_SOURCE_DIR;

// Fails the test unless `yaml` is refused with a message containing every `parts`.
void ExpectError(const std::string& yaml, std::initializer_list<std::string> parts) {
  StatusOr<PipelineConfig> c = ParseConfigYaml(yaml, "cfg.yaml");
  ASSERT_FALSE(c.ok()) << "accepted:\n" << yaml;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  for (const std::string& part : parts)
    EXPECT_NE(c.status().message().find(part), std::string::npos)
        << "message: " << c.status().message() << "\nmissing: " << part;
}

// Compares two configs key by key through the key table, naming the first difference.
void ExpectSameConfig(const PipelineConfig& a, const PipelineConfig& b) {
  for (const std::string& path : ConfigKeyPaths())
    EXPECT_EQ(ConfigValueText(a, path), ConfigValueText(b, path)) << path;
}

TEST(ConfigTest, EmptyTextGivesDefaults) {
  for (const char* text : {"", "# only a comment\n", "---\n", "~\n"}) {
    StatusOr<PipelineConfig> c = ParseConfigYaml(text, "empty");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ExpectSameConfig(*c, PipelineConfig{});
  }
}

TEST(ConfigTest, DefaultsMatchPipelineMd) {
  // PIPELINE.md "Settings": max_steps 6, max_regions 1, nms_iou 0.5, budgets 1024/128/128/256/512,
  // greedy.
  PipelineConfig c;
  EXPECT_EQ(c.max_steps, 6);
  EXPECT_EQ(c.max_regions, 1);
  EXPECT_EQ(c.nms_iou, 0.5);
  EXPECT_EQ(c.crop_expand, 0.125);
  EXPECT_EQ(c.budgets.reasoning, 1024);
  EXPECT_EQ(c.budgets.grounding, 128);
  EXPECT_EQ(c.budgets.caption, 128);
  EXPECT_EQ(c.budgets.ocr_vlm, 256);
  EXPECT_EQ(c.budgets.synthesis, 512);
  EXPECT_EQ(c.sampling.temperature, 0.0);
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST(ConfigTest, DefaultYamlParsesToExactlyTheDefaults) {
  const std::string path = kSource + "/configs/default.yaml";
  StatusOr<PipelineConfig> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectSameConfig(*c, PipelineConfig{});
  // ...and it spells out every key, so it documents them all.
  YAML::Node root = YAML::LoadFile(path);
  for (const std::string& key : ConfigKeyPaths()) {
    size_t dot = key.find('.');
    YAML::Node node =
        dot == std::string::npos ? root[key] : root[key.substr(0, dot)][key.substr(dot + 1)];
    EXPECT_TRUE(node.IsDefined()) << "configs/default.yaml lacks " << key;
  }
}

TEST(ConfigTest, ConfigMdDocumentsEveryKeyWithItsDefault) {
  StatusOr<std::string> doc = ReadFileToString(kSource + "/docs/CONFIG.md");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  PipelineConfig defaults;
  for (const std::string& key : ConfigKeyPaths()) {
    // Each key has a table row: | `key` | type | `default` | meaning |
    size_t row = doc->find("| `" + key + "` |");
    ASSERT_NE(row, std::string::npos) << "docs/CONFIG.md has no row for " << key;
    std::string line = doc->substr(row, doc->find('\n', row) - row);
    std::string value = ConfigValueText(defaults, key);
    // Strings appear unquoted (`eng`), except the empty string, shown as `""`.
    if (value.front() == '"' && value != "\"\"") value = value.substr(1, value.size() - 2);
    EXPECT_NE(line.find("`" + value + "`"), std::string::npos)
        << key << " row lacks default `" << value << "`: " << line;
  }
}

TEST(ConfigTest, EveryKeyIsRead) {
  const char* yaml = R"(
max_steps: 4
max_regions: 3
nms_iou: 0.25
crop_expand: 0.2
budgets: {reasoning: 900, grounding: 64, caption: 96, ocr_vlm: 200, synthesis: 300}
sampling:
  temperature: 0.7
  top_k: 40
  top_p: 0.9
  seed: 18446744073709551615
ocr:
  engine: vlm
  languages: eng+deu
  data_path: /opt/tessdata
  min_text_height: 32
  workers: 4
image: {max_pixels: 1003520, min_pixels: 3136, max_decode_pixels: 50000000}
outputs: {crops: false, visualization: no, report: off, trace: False}
engine: {threads: 3, max_context: 4096, kv_cache_mb: 512, vision_cache_mb: 64, prefix_cache: off, max_batch: 4,
         lookup_draft_tokens: 0, weights: q4}
)";
  StatusOr<PipelineConfig> parsed = ParseConfigYaml(yaml, "all.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const PipelineConfig& c = *parsed;
  EXPECT_EQ(c.max_steps, 4);
  EXPECT_EQ(c.max_regions, 3);
  EXPECT_EQ(c.nms_iou, 0.25);
  EXPECT_EQ(c.crop_expand, 0.2);
  EXPECT_EQ(c.budgets.reasoning, 900);
  EXPECT_EQ(c.budgets.grounding, 64);
  EXPECT_EQ(c.budgets.caption, 96);
  EXPECT_EQ(c.budgets.ocr_vlm, 200);
  EXPECT_EQ(c.budgets.synthesis, 300);
  EXPECT_EQ(c.sampling.temperature, 0.7);
  EXPECT_EQ(c.sampling.top_k, 40);
  EXPECT_EQ(c.sampling.top_p, 0.9);
  EXPECT_EQ(c.sampling.seed, 18446744073709551615ull);
  EXPECT_EQ(c.ocr.engine, "vlm");
  EXPECT_EQ(c.ocr.languages, "eng+deu");
  EXPECT_EQ(c.ocr.data_path, "/opt/tessdata");
  EXPECT_EQ(c.ocr.min_text_height, 32);
  EXPECT_EQ(c.ocr.workers, 4);
  EXPECT_EQ(c.image.max_pixels, 1003520);
  EXPECT_EQ(c.image.min_pixels, 3136);
  EXPECT_EQ(c.image.max_decode_pixels, 50000000);
  EXPECT_FALSE(c.outputs.crops);
  EXPECT_FALSE(c.outputs.visualization);
  EXPECT_FALSE(c.outputs.report);
  EXPECT_FALSE(c.outputs.trace);
  EXPECT_EQ(c.engine.threads, 3);
  EXPECT_EQ(c.engine.max_context, 4096);
  EXPECT_EQ(c.engine.kv_cache_mb, 512);
  EXPECT_EQ(c.engine.vision_cache_mb, 64);
  EXPECT_FALSE(c.engine.prefix_cache);
  EXPECT_EQ(c.engine.max_batch, 4);
  EXPECT_EQ(c.engine.lookup_draft_tokens, 0);
  EXPECT_EQ(c.engine.weights, "q4");
  // 32 keys in config.h; the test above sets each one, so the table has no extra key.
  EXPECT_EQ(ConfigKeyPaths().size(), 33u);
}

TEST(ConfigTest, PartialFileKeepsOtherDefaults) {
  StatusOr<PipelineConfig> c = ParseConfigYaml("ocr:\n  workers: 8\noutputs:\n", "p.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ocr.workers, 8);
  EXPECT_EQ(c->ocr.engine, "tesseract");
  EXPECT_EQ(c->max_steps, 6);
  EXPECT_TRUE(c->outputs.crops);
}

TEST(ConfigTest, EmptyStringValue) {
  StatusOr<PipelineConfig> c = ParseConfigYaml("ocr:\n  data_path:\n", "p.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ocr.data_path, "");
}

TEST(ConfigTest, UnknownKeyNamesPathPositionAndSuggestion) {
  ExpectError("max_steps: 3\nocr:\n  enigne: vlm\n",
              {"cfg.yaml:3:3", "unknown key 'ocr.enigne'", "(did you mean 'ocr.engine'?)"});
  ExpectError("temperature: 0.5\n",
              {"cfg.yaml:1:1", "unknown key 'temperature'", "'sampling.temperature'"});
  ExpectError("budgets:\n  reasonning: 10\n", {"'budgets.reasonning'", "'budgets.reasoning'"});
  ExpectError("max_step: 3\n", {"unknown key 'max_step'", "'max_steps'"});
  ExpectError("ocr:\n  engine: vlm\n  typo: 1\n", {"cfg.yaml:3:3", "unknown key 'ocr.typo'"});
  // Nothing close: no suggestion.
  StatusOr<PipelineConfig> c = ParseConfigYaml("colour_scheme: dark\n", "cfg.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("did you mean"), std::string::npos) << c.status().message();
  // A section name used with a leaf key inside a different section.
  ExpectError("sampling:\n  engine: vlm\n", {"unknown key 'sampling.engine'"});
}

TEST(ConfigTest, SuggestConfigKey) {
  EXPECT_EQ(SuggestConfigKey("ocr.enigne"), "ocr.engine");
  EXPECT_EQ(SuggestConfigKey("ocr.langauges"), "ocr.languages");
  EXPECT_EQ(SuggestConfigKey("seed"), "sampling.seed");
  EXPECT_EQ(SuggestConfigKey("outputs.crop"), "outputs.crops");
  EXPECT_EQ(SuggestConfigKey("completely_unrelated"), "");
}

TEST(ConfigTest, WrongTypesNameTheKey) {
  ExpectError("max_steps: six\n", {"cfg.yaml:1:12", "max_steps: expected an integer, got 'six'"});
  ExpectError("max_steps: 1.5\n", {"max_steps: expected an integer, got '1.5'"});
  ExpectError("nms_iou: [0.1, 0.2]\n", {"nms_iou: expected a number, got a list"});
  ExpectError("nms_iou: .nan\n", {"nms_iou: expected a number"});
  ExpectError("nms_iou: 0x1p-1\n", {"nms_iou: expected a number"});
  ExpectError("outputs:\n  crops: maybe\n",
              {"cfg.yaml:2:10", "outputs.crops: expected true or false, got 'maybe'"});
  ExpectError("ocr: 5\n", {"ocr: expected a mapping of keys, got a scalar"});
  ExpectError("ocr:\n  engine: {name: vlm}\n", {"ocr.engine: expected a string, got a mapping"});
  ExpectError("sampling:\n  seed: -1\n",
              {"sampling.seed: expected a non-negative integer, got '-1'"});
  ExpectError("max_steps:\n", {"max_steps: expected an integer, got nothing"});
  ExpectError("engine:\n  threads: 99999999999999999999\n",
              {"engine.threads: expected an integer"});
  ExpectError("- max_steps: 3\n", {"expected a mapping of keys", "got a list"});
  ExpectError("[1, 2]: x\n", {"keys must be plain names"});
}

TEST(ConfigTest, InvalidValuesNameTheKeyAndPosition) {
  ExpectError("max_steps: 0\n", {"cfg.yaml:1:12", "max_steps: must be in [1, 32], got 0"});
  ExpectError("nms_iou: 1.5\n", {"nms_iou: must be in [0, 1], got 1.5"});
  ExpectError("ocr:\n  engine: easyocr\n",
              {"cfg.yaml:2:11", "ocr.engine: expected 'tesseract' or 'vlm', got 'easyocr'"});
  ExpectError("sampling: {top_p: 0}\n", {"sampling.top_p: must be in (0, 1], got 0"});
  ExpectError("sampling: {temperature: -1}\n", {"sampling.temperature: must be in [0, 100]"});
  ExpectError("ocr: {languages: \"eng++deu\"}\n", {"ocr.languages"});
  ExpectError("ocr: {workers: 0}\n", {"ocr.workers: must be in [1, 64], got 0"});
  ExpectError("image: {max_pixels: 100}\n", {"image.max_pixels: must be 0"});
  ExpectError("image: {max_pixels: 2048, min_pixels: 4096}\n",
              {"image.min_pixels: must not exceed image.max_pixels"});
}

// Issue 11: pixel bounds are checked together at load, each error with the key's line.
TEST(ConfigTest, ImageBoundsAreValidatedTogetherWithTheirLine) {
  // The documented smallest cap is valid (the engine lowers the checkpoint's min to it).
  StatusOr<PipelineConfig> small = ParseConfigYaml("image:\n  max_pixels: 1024\n", "cfg.yaml");
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->image.max_pixels, 1024);
  ExpectError("image:\n  max_pixels: 1023\n",
              {"cfg.yaml:2:15", "image.max_pixels: must be 0", "got 1023"});
  // Above the resize limit (4096x4096): the 1x1-PNG-to-gigabytes case of issue 11.
  ExpectError("image:\n  min_pixels: 178956970\n",
              {"cfg.yaml:2:15", "image.min_pixels: must be in [0, 16777216]", "got 178956970"});
  ExpectError("max_steps: 3\nimage:\n  max_pixels: 16777217\n",
              {"cfg.yaml:3:15", "image.max_pixels", "16777216"});
  ExpectError("image:\n  max_pixels: 2048\n  min_pixels: 4096\n",
              {"cfg.yaml:3:15", "image.min_pixels: must not exceed image.max_pixels (2048)"});
  ExpectError("image:\n  max_decode_pixels: 0\n",
              {"cfg.yaml:2:22", "image.max_decode_pixels: must be in [1, 1073741824], got 0"});
  ExpectError("image:\n  max_decode_pixels: 1073741825\n", {"image.max_decode_pixels"});
  // The decode options carry the limit and name the setting for the error hint.
  PipelineConfig c;
  c.image.max_decode_pixels = 1000;
  DecodeOptions options = ImageDecodeOptions(c);
  EXPECT_EQ(options.max_pixels, 1000);
  EXPECT_EQ(options.limit_setting, "image.max_decode_pixels");
  // A default budget that no longer fits the context set in the file is still named.
  ExpectError("engine: {max_context: 512}\n",
              {"cfg.yaml: budgets.reasoning: must be in [1, 512], got 1024"});
  ExpectError("engine: {weights: q3}\n", {"engine.weights: expected 'none', 'q8' or 'q4', got 'q3'"});
}

// Issue 11, defect 5: engine.threads: 1024 was accepted and hung a 2-core machine.
TEST(ConfigTest, EngineThreadsIsBoundedByTheCores) {
  ExpectError("max_steps: 3\nengine:\n  threads: 1024\n",
              {"cfg.yaml:3:12", "engine.threads: must be in [0, " + std::to_string(MaxThreadCount()) + "]",
               "per core", "got 1024"});
  StatusOr<PipelineConfig> at_cap =
      ParseConfigYaml("engine: {threads: " + std::to_string(MaxThreadCount()) + "}\n", "cfg.yaml");
  EXPECT_TRUE(at_cap.ok()) << at_cap.status().ToString();
}

TEST(ConfigTest, MalformedYamlHasLineAndColumn) {
  ExpectError("max_steps: 3\nocr:\n  engine: [vlm\n", {"cfg.yaml:", "malformed YAML"});
  ExpectError("max_steps: 3\n  max_regions: 2\n", {"cfg.yaml:2:", "malformed YAML"});
  StatusOr<PipelineConfig> c = ParseConfigYaml("max_steps: 1\nocr: \"unterminated\n", "cfg.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("cfg.yaml:2:"), std::string::npos) << c.status().message();
}

TEST(ConfigTest, DuplicateKeysAndDocumentsRefused) {
  ExpectError("max_steps: 3\nmax_steps: 4\n", {"cfg.yaml:2:1", "duplicate key 'max_steps'"});
  ExpectError("ocr: {engine: vlm, engine: tesseract}\n", {"duplicate key 'ocr.engine'"});
  ExpectError("max_steps: 3\n---\nmax_steps: 4\n", {"one YAML document, found 2"});
  ExpectError("ocr.engine: vlm\nocr:\n  engine: tesseract\n",
              {"cfg.yaml:3:3", "duplicate key 'ocr.engine'"});
}

// yaml-cpp's LoadAll never returns on this text (empty documents without end, memory
// growing until the process is killed); found by fuzz/pipeline_config_fuzzer.
TEST(ConfigTest, MalformedFlowMapEndsInsteadOfLoopingForever) {
  const std::string text = R"({"max_steps":3,"budgets":-"caption":64},"sampling.temperature":0.5})";
  ExpectError(text, {"cfg.yaml:1:", "one YAML document, found 2 or more"});
  StatusOr<PipelineConfig> settings = ApplyQuerySettings(PipelineConfig{}, text);
  EXPECT_FALSE(settings.ok());
}

TEST(ConfigTest, FlatDottedKeys) {
  StatusOr<PipelineConfig> c =
      ParseConfigYaml("ocr.engine: vlm\nbudgets.caption: 64\n", "flat.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ocr.engine, "vlm");
  EXPECT_EQ(c->budgets.caption, 64);
  ExpectError("ocr.enigne: vlm\n", {"unknown key 'ocr.enigne'", "'ocr.engine'"});
}

TEST(ConfigTest, ValidateConfigNamesField) {
  PipelineConfig c;
  c.max_regions = 0;
  Status s = ValidateConfig(c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "max_regions: must be in [1, 16], got 0");
  c = PipelineConfig{};
  c.budgets.synthesis = 0;
  EXPECT_NE(ValidateConfig(c).message().find("budgets.synthesis"), std::string::npos);
  c = PipelineConfig{};
  c.nms_iou = std::nan("");
  EXPECT_NE(ValidateConfig(c).message().find("nms_iou"), std::string::npos);
  c = PipelineConfig{};
  c.engine.threads = -1;
  EXPECT_NE(ValidateConfig(c).message().find("engine.threads"), std::string::npos);
}

TEST(ConfigTest, ToYamlRoundTrips) {
  PipelineConfig c;
  c.max_steps = 3;
  c.nms_iou = 0.1 + 0.2;  // not exactly representable in short decimal
  c.sampling.seed = 42;
  c.ocr.data_path = "/a \"quoted\" path\\x";
  c.ocr.languages = "eng+fra";
  c.outputs.report = false;
  StatusOr<PipelineConfig> back = ParseConfigYaml(ConfigToYaml(c), "roundtrip");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << ConfigToYaml(c);
  ExpectSameConfig(*back, c);
  EXPECT_EQ(back->nms_iou, c.nms_iou);
  EXPECT_EQ(back->ocr.data_path, c.ocr.data_path);
}

TEST(ConfigTest, LoadConfigFileErrors) {
  StatusOr<PipelineConfig> c = LoadConfigFile("/nonexistent/corgi.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/corgi.yaml"), std::string::npos)
      << c.status().ToString();
}

// ---- per-query settings (the server's "settings" object) ----

void ExpectSettingsError(const std::string& json, std::initializer_list<std::string> parts) {
  StatusOr<PipelineConfig> c = ApplyQuerySettings(PipelineConfig{}, json);
  ASSERT_FALSE(c.ok()) << "accepted: " << json;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  for (const std::string& part : parts)
    EXPECT_NE(c.status().message().find(part), std::string::npos)
        << "message: " << c.status().message() << "\nmissing: " << part;
}

TEST(QuerySettingsTest, AppliesOverTheBase) {
  PipelineConfig base;
  base.max_steps = 4;
  base.engine.max_context = 4096;
  base.ocr.workers = 3;
  StatusOr<PipelineConfig> c = ApplyQuerySettings(
      base, R"({"max_regions": 2, "nms_iou": 0.25, "budgets": {"caption": 64},
               "sampling": {"temperature": 0.5, "seed": 7}, "ocr": {"engine": "vlm"},
               "outputs": {"report": false}, "crop_expand": 0})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_steps, 4);  // kept from the base
  EXPECT_EQ(c->engine.max_context, 4096);
  EXPECT_EQ(c->ocr.workers, 3);
  EXPECT_EQ(c->max_regions, 2);
  EXPECT_DOUBLE_EQ(c->nms_iou, 0.25);
  EXPECT_EQ(c->budgets.caption, 64);
  EXPECT_DOUBLE_EQ(c->sampling.temperature, 0.5);
  EXPECT_EQ(c->sampling.seed, 7u);
  EXPECT_EQ(c->ocr.engine, "vlm");
  EXPECT_FALSE(c->outputs.report);
  EXPECT_DOUBLE_EQ(c->crop_expand, 0);
  // Empty object and dotted keys.
  ASSERT_TRUE(ApplyQuerySettings(base, "{}").ok());
  StatusOr<PipelineConfig> dotted = ApplyQuerySettings(base, R"({"budgets.synthesis": 99})");
  ASSERT_TRUE(dotted.ok()) << dotted.status().ToString();
  EXPECT_EQ(dotted->budgets.synthesis, 99);
}

TEST(QuerySettingsTest, OnlyPerQueryKeys) {
  for (const std::string& key : ConfigKeyPaths()) {
    bool per_query = key.rfind("engine.", 0) != 0 && key.rfind("image.", 0) != 0 &&
                     key != "ocr.data_path" && key != "ocr.min_text_height" &&
                     key != "ocr.workers";
    EXPECT_EQ(IsQuerySettingKey(key), per_query) << key;
  }
  EXPECT_FALSE(IsQuerySettingKey("budgets"));
  EXPECT_FALSE(IsQuerySettingKey("nope"));
  ExpectSettingsError(R"({"engine": {"threads": 2}})", {"engine.threads", "per-query"});
  ExpectSettingsError(R"({"image": {"max_pixels": 4096}})", {"image.max_pixels"});
  ExpectSettingsError(R"({"ocr": {"data_path": "/etc"}})", {"ocr.data_path"});
}

TEST(QuerySettingsTest, UnknownKeysNameTheirPath) {
  ExpectSettingsError(R"({"budgets": {"captoin": 64}})", {"budgets.captoin", "budgets.caption"});
  ExpectSettingsError(R"({"colour": "red"})", {"unknown key 'colour'"});
  ExpectSettingsError(R"({"sampling": 3})", {"sampling", "mapping"});
}

TEST(QuerySettingsTest, JsonTypesAreStrict) {
  ExpectSettingsError(R"({"max_steps": "3"})", {"max_steps", "an integer"});
  ExpectSettingsError(R"({"max_steps": 2.5})", {"max_steps"});
  ExpectSettingsError(R"({"max_steps": [3]})", {"max_steps", "a list"});
  ExpectSettingsError(R"({"ocr": {"languages": 5}})", {"ocr.languages", "a string"});
  ExpectSettingsError(R"({"ocr": {"engine": null}})", {"ocr.engine"});
  ExpectSettingsError(R"({"outputs": {"crops": "yes"}})", {"outputs.crops", "true or false"});
  ExpectSettingsError(R"({"sampling": {"seed": -1}})", {"sampling.seed"});
  ExpectSettingsError(R"([1, 2])", {"JSON object"});
  ExpectSettingsError(R"("max_steps")", {"JSON object"});
}

TEST(QuerySettingsTest, ValuesAreValidatedLikeTheYaml) {
  ExpectSettingsError(R"({"max_steps": 0})", {"max_steps", "[1, 32]"});
  ExpectSettingsError(R"({"ocr": {"engine": "easyocr"}})", {"ocr.engine", "tesseract"});
  ExpectSettingsError(R"({"sampling": {"top_p": 0}})", {"sampling.top_p"});
  ExpectSettingsError(R"({"budgets": {"reasoning": 100000}})", {"budgets.reasoning"});
  ExpectSettingsError(R"({"max_steps": 2, "max_steps": 3})", {"duplicate"});
}

}  // namespace
}  // namespace corgi::pipeline
