// preprocessor_config.json and generation_config.json: the real Qwen2.5-VL files in
// shared data, the Qwen3-VL values of spec/qwen3-vl.md §1.1, and malformed inputs.
#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "corgi/io/checkpoint_configs.h"

namespace corgi {
namespace {

using nlohmann::json;

const std::string kQwen25Dir = std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen2.5-vl-7b-instruct";

// Qwen3-VL preprocessor_config.json as released (spec §1.1).
const char kQwen3VlPreprocessor[] = R"({
  "size": {"longest_edge": 16777216, "shortest_edge": 65536},
  "patch_size": 16,
  "temporal_patch_size": 2,
  "merge_size": 2,
  "image_mean": [0.5, 0.5, 0.5],
  "image_std": [0.5, 0.5, 0.5],
  "processor_class": "Qwen3VLProcessor",
  "image_processor_type": "Qwen2VLImageProcessorFast"
})";

TEST(PreprocessorConfig, Qwen25FileFromSharedData) {
  StatusOr<PreprocessorConfig> c = LoadPreprocessorConfig(kQwen25Dir + "/preprocessor_config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->min_pixels, 3136);
  EXPECT_EQ(c->max_pixels, 12845056);
  EXPECT_EQ(c->patch_size, 14);
  EXPECT_EQ(c->temporal_patch_size, 2);
  EXPECT_EQ(c->merge_size, 2);
  EXPECT_FLOAT_EQ(c->image_mean[0], 0.48145466f);
  EXPECT_FLOAT_EQ(c->image_mean[1], 0.4578275f);
  EXPECT_FLOAT_EQ(c->image_mean[2], 0.40821073f);
  EXPECT_FLOAT_EQ(c->image_std[0], 0.26862954f);
  EXPECT_FLOAT_EQ(c->image_std[1], 0.26130258f);
  EXPECT_FLOAT_EQ(c->image_std[2], 0.27577711f);
  EXPECT_EQ(c->image_processor_type, "Qwen2VLImageProcessor");
  EXPECT_EQ(c->resample, 3);
  EXPECT_DOUBLE_EQ(c->rescale_factor, 1.0 / 255.0);
}

TEST(PreprocessorConfig, Qwen3VlSizeIsPixelCounts) {
  StatusOr<PreprocessorConfig> c = ParsePreprocessorConfig(kQwen3VlPreprocessor);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->min_pixels, 65536);
  EXPECT_EQ(c->max_pixels, 16777216);
  EXPECT_EQ(c->patch_size, 16);
  EXPECT_EQ(c->image_mean, (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(c->image_processor_type, "Qwen2VLImageProcessorFast");
  // Round trip through the writer.
  StatusOr<PreprocessorConfig> back = ParsePreprocessorConfig(PreprocessorConfigToJson(*c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(PreprocessorConfigToJson(*back), PreprocessorConfigToJson(*c));
  EXPECT_EQ(back->min_pixels, 65536);
  EXPECT_EQ(back->rescale_factor, 1.0 / 255.0);
}

TEST(PreprocessorConfig, TopLevelPixelsOverrideSize) {
  json j = json::parse(kQwen3VlPreprocessor);
  j["min_pixels"] = 3136;
  j["max_pixels"] = 1003520;
  StatusOr<PreprocessorConfig> c = ParsePreprocessorConfig(j.dump());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->min_pixels, 3136);
  EXPECT_EQ(c->max_pixels, 1003520);
}

// The onnxruntime-extensions file is a transform pipeline, not a Hugging Face
// preprocessor config: it must be refused with a message, not misread.
TEST(PreprocessorConfig, RejectsOnnxruntimeExtensionsSpec) {
  StatusOr<PreprocessorConfig> c = LoadPreprocessorConfig(
      std::string(CORGI_SHARED_DATA) +
      "/image_preprocessing/onnxruntime-extensions/qwen3vl_vision_processor.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("missing required key size"), std::string::npos)
      << c.status().ToString();
}

TEST(PreprocessorConfig, RejectsBadValues) {
  struct Case {
    const char* name;
    std::function<void(json&)> apply;
    StatusCode code;
    const char* message;
  };
  const StatusCode kInvalid = StatusCode::kInvalidArgument;
  std::vector<Case> cases = {
      {"no size", [](json& j) { j.erase("size"); }, kInvalid, "missing required key size"},
      {"size without longest_edge", [](json& j) { j["size"].erase("longest_edge"); }, kInvalid,
       "missing required key size.longest_edge"},
      {"max below min", [](json& j) { j["size"]["longest_edge"] = 100; }, kInvalid,
       "max pixels (100) is below min pixels (65536)"},
      {"no patch_size", [](json& j) { j.erase("patch_size"); }, kInvalid,
       "missing required key patch_size"},
      {"zero merge", [](json& j) { j["merge_size"] = 0; }, kInvalid, "merge_size must be positive"},
      {"two means",
       [](json& j) {
         j["image_mean"] = {0.5, 0.5};
       },
       kInvalid, "image_mean must have 3 entries"},
      {"zero std",
       [](json& j) {
         j["image_std"] = {0.5, 0.0, 0.5};
       },
       kInvalid, "image_std[1] must be a positive number"},
      {"string mean",
       [](json& j) {
         j["image_mean"] = {0.5, "x", 0.5};
       },
       kInvalid, "image_mean[1] must be a number"},
      {"bilinear", [](json& j) { j["resample"] = 2; }, StatusCode::kUnimplemented,
       "resample 2 is not supported"},
      {"rescale zero", [](json& j) { j["rescale_factor"] = 0; }, kInvalid,
       "rescale_factor must be a positive number"},
      {"do_resize not bool", [](json& j) { j["do_resize"] = "yes"; }, kInvalid,
       "do_resize must be true or false"},
      {"not an object", [](json& j) { j = json::array(); }, kInvalid, "must be a JSON object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json j = json::parse(kQwen3VlPreprocessor);
    c.apply(j);
    StatusOr<PreprocessorConfig> parsed = ParsePreprocessorConfig(j.dump());
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), c.code) << parsed.status().ToString();
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << parsed.status().ToString();
  }
  EXPECT_EQ(ParsePreprocessorConfig("{").status().code(), StatusCode::kDataLoss);
}

TEST(GenerationConfig, Qwen25FileFromSharedData) {
  StatusOr<GenerationConfig> c = LoadGenerationConfig(kQwen25Dir + "/generation_config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(c->bos_token_id, 151643);
  EXPECT_EQ(c->pad_token_id, 151643);
  EXPECT_TRUE(c->do_sample);
  EXPECT_DOUBLE_EQ(c->temperature, 1e-6);
  EXPECT_DOUBLE_EQ(c->repetition_penalty, 1.05);
  EXPECT_EQ(c->top_k, 0);
  EXPECT_EQ(c->top_p, 1.0);
  StatusOr<GenerationConfig> back = ParseGenerationConfig(GenerationConfigToJson(*c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(GenerationConfigToJson(*back), GenerationConfigToJson(*c));
  EXPECT_EQ(back->eos_token_ids, c->eos_token_ids);
}

TEST(GenerationConfig, SingleEosAndDefaults) {
  StatusOr<GenerationConfig> c =
      ParseGenerationConfig(R"({"eos_token_id": 151645, "pad_token_id": null, "top_k": 20})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->eos_token_ids, (std::vector<int64_t>{151645}));
  EXPECT_EQ(c->pad_token_id, -1);
  EXPECT_EQ(c->bos_token_id, -1);
  EXPECT_EQ(c->top_k, 20);
  StatusOr<GenerationConfig> empty = ParseGenerationConfig("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->eos_token_ids.empty());
}

TEST(GenerationConfig, RejectsBadValues) {
  struct Case {
    const char* json;
    const char* message;
  };
  std::vector<Case> cases = {
      {R"({"eos_token_id": "x"})", "eos_token_id must be an integer"},
      {R"({"eos_token_id": [1, 2.5]})", "eos_token_id[1] must be an integer"},
      {R"({"eos_token_id": [-1]})", "eos_token_id must be a non-negative token id"},
      {R"({"bos_token_id": -5})", "bos_token_id must be a non-negative token id"},
      {R"({"top_p": 0})", "top_p must be in (0, 1]"},
      {R"({"top_p": 1.5})", "top_p must be in (0, 1]"},
      {R"({"top_k": -1})", "top_k must be non-negative"},
      {R"({"temperature": -1})", "temperature must be a non-negative number"},
      {R"({"repetition_penalty": 0})", "repetition_penalty must be a positive number"},
      {R"({"do_sample": 1})", "do_sample must be true or false"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    StatusOr<GenerationConfig> parsed = ParseGenerationConfig(c.json);
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << parsed.status().ToString();
  }
}

// Regression (issue 11): preprocessor_config.json nested 100,000 deep is an error.
TEST(PreprocessorConfig, DeepNestingIsAnError) {
  const std::string deep = "{\"size\": " + std::string(100000, '{') + std::string(100000, '}') + "}";
  StatusOr<PreprocessorConfig> c = ParsePreprocessorConfig(deep);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("JSON nested deeper than 64 levels"), std::string::npos)
      << c.status().message();
}

}  // namespace
}  // namespace corgi
