#include "corgi/model/fp8_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace corgi {
namespace {

using nlohmann::json;

StatusOr<Fp8Config> Parse(const std::string& text) {
  return ParseFp8QuantizationConfig(json::parse(text), "config.json");
}

void ExpectError(const std::string& text, StatusCode code, const std::string& part) {
  StatusOr<Fp8Config> c = Parse(text);
  ASSERT_FALSE(c.ok()) << text;
  EXPECT_EQ(c.status().code(), code) << c.status().ToString();
  EXPECT_NE(c.status().message().find(part), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().message().find("config.json"), std::string::npos) << c.status().ToString();
}

TEST(Fp8Config, ParsesTheOfficialLayout) {
  StatusOr<Fp8Config> c = Parse(R"({"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
      "weight_block_size": [128, 64], "modules_to_not_convert": ["lm_head", "model.visual.blocks.0.attn.qkv"]})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->block_n, 128);
  EXPECT_EQ(c->block_k, 64);
  EXPECT_FALSE(c->per_tensor());
  EXPECT_EQ(c->activation_scheme, "dynamic");
  EXPECT_EQ(c->modules_to_not_convert, (std::vector<std::string>{"lm_head", "model.visual.blocks.0.attn.qkv"}));
}

TEST(Fp8Config, DefaultsAndVariants) {
  StatusOr<Fp8Config> c = Parse(R"({"quant_method": "fp8"})");  // transformers' defaults
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->block_n, 128);
  EXPECT_EQ(c->block_k, 128);
  EXPECT_EQ(c->activation_scheme, "dynamic");
  EXPECT_TRUE(c->modules_to_not_convert.empty());

  c = Parse(R"({"quant_method": "fp8", "weight_block_size": null, "activation_scheme": "static",
                "modules_to_not_convert": null})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->per_tensor());
  EXPECT_EQ(c->activation_scheme, "static");

  c = Parse(R"({"quant_method": "fp8", "scale_fmt": "ue8m0", "some_new_key": 3})");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST(Fp8Config, RejectsWhatItCannotRun) {
  ExpectError(R"({"quant_method": "awq"})", StatusCode::kInvalidArgument, "quant_method");
  ExpectError(R"({"fmt": "e4m3"})", StatusCode::kInvalidArgument, "quant_method");
  ExpectError(R"({"quant_method": "fp8", "fmt": "e5m2"})", StatusCode::kUnimplemented, "e5m2");
  ExpectError(R"({"quant_method": "fp8", "activation_scheme": "mixed"})", StatusCode::kUnimplemented,
              "activation_scheme");
  ExpectError(R"({"quant_method": "fp8", "scale_fmt": "e8m0x"})", StatusCode::kUnimplemented, "scale_fmt");
  ExpectError(R"({"quant_method": "fp8", "weight_block_size": [128]})", StatusCode::kInvalidArgument,
              "weight_block_size");
  ExpectError(R"({"quant_method": "fp8", "weight_block_size": [128, 128, 1]})", StatusCode::kInvalidArgument,
              "weight_block_size");
  ExpectError(R"({"quant_method": "fp8", "weight_block_size": [0, 128]})", StatusCode::kInvalidArgument,
              "weight_block_size");
  ExpectError(R"({"quant_method": "fp8", "weight_block_size": "128"})", StatusCode::kInvalidArgument,
              "weight_block_size");
  ExpectError(R"({"quant_method": "fp8", "modules_to_not_convert": ["lm_head", 3]})",
              StatusCode::kInvalidArgument, "modules_to_not_convert[1]");
  ExpectError(R"(["fp8"])", StatusCode::kInvalidArgument, "must be an object");
}

TEST(Fp8Config, ReadsConfigJson) {
  StatusOr<std::optional<Fp8Config>> c = ReadFp8Config(
      R"({"model_type": "qwen3_vl", "quantization_config": {"quant_method": "fp8", "weight_block_size": [64, 32]}})",
      "config.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->block_n, 64);
  EXPECT_EQ((*c)->block_k, 32);

  for (const char* other : {R"({"model_type": "qwen3_vl"})", R"({"quantization_config": null})",
                            R"({"quantization_config": {"quant_method": "awq", "bits": 4}})"}) {
    c = ReadFp8Config(other, "config.json");
    ASSERT_TRUE(c.ok()) << other << ": " << c.status().ToString();
    EXPECT_FALSE(c->has_value()) << other;
  }
  EXPECT_FALSE(ReadFp8Config("{", "config.json").ok());
  EXPECT_FALSE(ReadFp8Config("[1]", "config.json").ok());
  EXPECT_FALSE(ReadFp8Config(R"({"quantization_config": 7})", "config.json").ok());
  c = ReadFp8Config(R"({"quantization_config": {"quant_method": "fp8", "fmt": "e5m2"}})", "config.json");
  EXPECT_EQ(c.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace corgi
