#include "corgi/model/qwen2_5vl/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "corgi/model/qwen2_5vl/presets.h"

namespace corgi::qwen2_5vl {
namespace {

using nlohmann::json;

std::string ReleaseConfigPath() {
  return std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen2.5-vl-7b-instruct/config.json";
}

// The tiny preset in the transformers v5 layout: text_config / vision_config objects and
// rope_parameters inside text_config.
json V5Tiny() {
  return json::parse(R"({
    "architectures": ["Qwen2_5_VLForConditionalGeneration"],
    "model_type": "qwen2_5_vl",
    "image_token_id": 151655, "video_token_id": 151656,
    "vision_start_token_id": 151652, "vision_end_token_id": 151653,
    "dtype": "float32",
    "text_config": {
      "model_type": "qwen2_5_vl_text", "hidden_size": 32, "num_hidden_layers": 3,
      "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 64,
      "vocab_size": 151936, "max_position_embeddings": 128000, "rms_norm_eps": 1e-6,
      "hidden_act": "silu", "tie_word_embeddings": true, "use_sliding_window": false,
      "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]}
    },
    "vision_config": {
      "model_type": "qwen2_5_vl", "depth": 4, "hidden_size": 32, "num_heads": 2,
      "intermediate_size": 64, "in_channels": 3, "out_hidden_size": 32, "patch_size": 14,
      "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
      "fullatt_block_indexes": [1, 3], "tokens_per_second": 2, "hidden_act": "silu"
    }
  })");
}

Status ParseJson(const json& j) { return ParseModelConfig(j.dump()).status(); }

TEST(Qwen25Config, ParsesThe7bReleaseLayout) {
  StatusOr<ModelConfig> c = LoadModelConfig(ReleaseConfigPath());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->model_type, "qwen2_5_vl");
  EXPECT_EQ(c->architecture, "Qwen2_5_VLForConditionalGeneration");
  EXPECT_EQ(c->torch_dtype, "bfloat16");
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->text.hidden_size, 3584);
  EXPECT_EQ(c->text.num_hidden_layers, 28);
  EXPECT_EQ(c->text.num_attention_heads, 28);
  EXPECT_EQ(c->text.num_key_value_heads, 4);
  EXPECT_EQ(c->text.head_dim, 128);
  EXPECT_EQ(c->text.intermediate_size, 18944);
  EXPECT_EQ(c->text.vocab_size, 152064);
  EXPECT_EQ(c->text.max_position_embeddings, 128000);
  EXPECT_EQ(c->text.rope_theta, 1000000.0);
  EXPECT_EQ(c->text.rms_norm_eps, 1e-6);
  EXPECT_EQ(c->text.mrope_section, (std::vector<int64_t>{16, 24, 24}));
  EXPECT_EQ(c->vision.depth, 32);
  EXPECT_EQ(c->vision.hidden_size, 1280);
  EXPECT_EQ(c->vision.num_heads, 16);
  EXPECT_EQ(c->vision.intermediate_size, 3420);
  EXPECT_EQ(c->vision.in_channels, 3);
  EXPECT_EQ(c->vision.out_hidden_size, 3584);
  EXPECT_EQ(c->vision.window_size, 112);
  EXPECT_EQ(c->vision.window_merged(), 4);
  EXPECT_EQ(c->vision.fullatt_block_indexes, (std::vector<int64_t>{7, 15, 23, 31}));
  EXPECT_TRUE(c->vision.full_attention(15));
  EXPECT_FALSE(c->vision.full_attention(14));
  EXPECT_EQ(c->vision.tokens_per_second, 2);
  EXPECT_EQ(c->image_token_id, 151655);
  EXPECT_EQ(c->vision_start_token_id, 151652);
  // The 7b preset is this release.
  ModelConfig preset = *PresetConfig("7b");
  EXPECT_EQ(ModelConfigToJson(preset), ModelConfigToJson(*c));
}

TEST(Qwen25Config, ParsesTheV5Layout) {
  StatusOr<ModelConfig> c = ParseModelConfig(V5Tiny().dump());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->tie_word_embeddings);  // from text_config
  EXPECT_EQ(c->torch_dtype, "float32");
  EXPECT_EQ(c->text.head_dim, 16);
  EXPECT_EQ(c->text.rope_theta, 1000000.0);
  EXPECT_EQ(c->text.mrope_section, (std::vector<int64_t>{2, 3, 3}));
  EXPECT_EQ(c->vision.window_merged(), 2);
  ModelConfig tiny = *PresetConfig("tiny");
  tiny.torch_dtype = "float32";
  EXPECT_EQ(ModelConfigToJson(*c), ModelConfigToJson(tiny));
  // rope_scaling inside text_config (4.5x) works too.
  json j = V5Tiny();
  j["text_config"].erase("rope_parameters");
  j["text_config"]["rope_theta"] = 1000000.0;
  j["text_config"]["rope_scaling"] = {{"rope_type", "default"}, {"mrope_section", {2, 3, 3}}};
  EXPECT_TRUE(ParseJson(j).ok()) << ParseJson(j).ToString();
  // v5 writes the vision rotary's base too.
  j = V5Tiny();
  j["vision_config"]["rope_parameters"] = {{"rope_type", "axial"}, {"rope_theta", 20000.0}};
  StatusOr<ModelConfig> axial = ParseModelConfig(j.dump());
  ASSERT_TRUE(axial.ok()) << axial.status().ToString();
  EXPECT_EQ(axial->vision.rope_theta, 20000.0);
  EXPECT_EQ(c->vision.rope_theta, 10000.0);
  j["vision_config"]["rope_parameters"]["rope_type"] = "yarn";
  EXPECT_EQ(ParseJson(j).code(), StatusCode::kUnimplemented);
}

TEST(Qwen25Config, PresetsRoundTripThroughJson) {
  for (const std::string& name : PresetNames()) {
    ModelConfig preset = *PresetConfig(name);
    StatusOr<ModelConfig> back = ParseModelConfig(ModelConfigToJson(preset));
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().ToString();
    EXPECT_EQ(ModelConfigToJson(*back), ModelConfigToJson(preset)) << name;
    EXPECT_EQ(back->text.head_dim, preset.text.head_dim) << name;
  }
  EXPECT_EQ(PresetConfig("70b").status().code(), StatusCode::kNotFound);
}

TEST(Qwen25Config, TinyPresetHasTheFixtureShapes) {
  ModelConfig c = *PresetConfig("tiny");
  EXPECT_EQ(c.text.hidden_size, 32);
  EXPECT_EQ(c.text.num_hidden_layers, 3);
  EXPECT_EQ(c.text.num_attention_heads, 2);
  EXPECT_EQ(c.text.num_key_value_heads, 1);
  EXPECT_EQ(c.text.intermediate_size, 64);
  EXPECT_EQ(c.text.vocab_size, 151936);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.vision.depth, 4);
  EXPECT_EQ(c.vision.hidden_size, 32);
  EXPECT_EQ(c.vision.num_heads, 2);
  EXPECT_EQ(c.vision.intermediate_size, 64);
  EXPECT_EQ(c.vision.window_size, 56);
  EXPECT_EQ(c.vision.fullatt_block_indexes, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(c.vision.out_hidden_size, 32);
}

// Each mutation of the v5 tiny config and the key its error must name.
struct BadCase {
  const char* what;
  void (*mutate)(json&);
  const char* key;
  StatusCode code;
};

TEST(Qwen25Config, RejectsBadConfigsNamingTheKey) {
  const BadCase cases[] = {
      {"missing hidden_size", [](json& j) { j["text_config"].erase("hidden_size"); }, "hidden_size",
       StatusCode::kInvalidArgument},
      {"string layers", [](json& j) { j["text_config"]["num_hidden_layers"] = "3"; },
       "num_hidden_layers", StatusCode::kInvalidArgument},
      {"negative heads", [](json& j) { j["text_config"]["num_attention_heads"] = -2; },
       "num_attention_heads", StatusCode::kInvalidArgument},
      {"heads not dividing hidden", [](json& j) { j["text_config"]["num_attention_heads"] = 3; },
       "num_attention_heads", StatusCode::kInvalidArgument},
      {"kv heads not dividing heads", [](json& j) { j["text_config"]["num_key_value_heads"] = 3; },
       "num_key_value_heads", StatusCode::kInvalidArgument},
      {"mrope sum",
       [](json& j) {
         j["text_config"]["rope_parameters"]["mrope_section"] = {2, 3, 4};
       },
       "mrope_section", StatusCode::kInvalidArgument},
      {"mrope missing", [](json& j) { j["text_config"]["rope_parameters"].erase("mrope_section"); },
       "mrope_section", StatusCode::kInvalidArgument},
      {"yarn rope", [](json& j) { j["text_config"]["rope_parameters"]["rope_type"] = "yarn"; },
       "rope_type", StatusCode::kUnimplemented},
      {"huge vocab", [](json& j) { j["text_config"]["vocab_size"] = int64_t{1} << 40; },
       "vocab_size", StatusCode::kInvalidArgument},
      {"gelu text", [](json& j) { j["text_config"]["hidden_act"] = "gelu"; }, "hidden_act",
       StatusCode::kUnimplemented},
      {"sliding window", [](json& j) { j["text_config"]["use_sliding_window"] = true; },
       "use_sliding_window", StatusCode::kUnimplemented},
      {"eps", [](json& j) { j["text_config"]["rms_norm_eps"] = 0; }, "rms_norm_eps",
       StatusCode::kInvalidArgument},
      {"no vision_config", [](json& j) { j.erase("vision_config"); }, "vision_config",
       StatusCode::kInvalidArgument},
      {"vision depth", [](json& j) { j["vision_config"]["depth"] = 0; }, "vision_config.depth",
       StatusCode::kInvalidArgument},
      {"window too small", [](json& j) { j["vision_config"]["window_size"] = 27; },
       "vision_config.window_size", StatusCode::kInvalidArgument},
      {"fullatt out of range",
       [](json& j) {
         j["vision_config"]["fullatt_block_indexes"] = {1, 4};
       },
       "vision_config.fullatt_block_indexes", StatusCode::kInvalidArgument},
      {"fullatt repeated",
       [](json& j) {
         j["vision_config"]["fullatt_block_indexes"] = {1, 1};
       },
       "vision_config.fullatt_block_indexes", StatusCode::kInvalidArgument},
      {"vision head_dim", [](json& j) { j["vision_config"]["num_heads"] = 16; }, "num_heads",
       StatusCode::kInvalidArgument},
      {"out_hidden_size", [](json& j) { j["vision_config"]["out_hidden_size"] = 64; },
       "out_hidden_size", StatusCode::kInvalidArgument},
      {"four channels", [](json& j) { j["vision_config"]["in_channels"] = 4; }, "in_channels",
       StatusCode::kUnimplemented},
      {"gelu vision", [](json& j) { j["vision_config"]["hidden_act"] = "quick_gelu"; },
       "vision_config.hidden_act", StatusCode::kUnimplemented},
      {"image token", [](json& j) { j["image_token_id"] = 999999; }, "image_token_id",
       StatusCode::kInvalidArgument},
      {"model type", [](json& j) { j["model_type"] = "qwen3_vl"; }, "qwen3_vl",
       StatusCode::kUnimplemented},
  };
  for (const BadCase& c : cases) {
    json j = V5Tiny();
    c.mutate(j);
    Status s = ParseJson(j);
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.key), std::string::npos) << c.what << ": " << s.ToString();
  }
  EXPECT_EQ(ParseModelConfig("{").status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(ParseModelConfig("[]").ok());
  EXPECT_EQ(LoadModelConfig("/nonexistent/config.json").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corgi::qwen2_5vl
