// config.json parsing against the values in spec/qwen3-vl.md §1.1 (2B and 8B), both
// rope spellings, and every missing or inconsistent field.
#include "corgi/model/qwen3vl/config.h"

#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

namespace corgi::qwen3vl {
namespace {

using nlohmann::json;

// Qwen3-VL-2B-Instruct as released (transformers 4.57 layout), values from spec §1.1.
const char kQwen3Vl2B[] = R"({
  "architectures": ["Qwen3VLForConditionalGeneration"],
  "image_token_id": 151655,
  "model_type": "qwen3_vl",
  "text_config": {
    "attention_bias": false,
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "dtype": "bfloat16",
    "eos_token_id": 151645,
    "head_dim": 128,
    "hidden_act": "silu",
    "hidden_size": 2048,
    "initializer_range": 0.02,
    "intermediate_size": 6144,
    "max_position_embeddings": 262144,
    "model_type": "qwen3_vl_text",
    "num_attention_heads": 16,
    "num_hidden_layers": 28,
    "num_key_value_heads": 8,
    "rms_norm_eps": 1e-06,
    "rope_scaling": {"mrope_interleaved": true, "mrope_section": [24, 20, 20], "rope_type": "default"},
    "rope_theta": 5000000,
    "tie_word_embeddings": true,
    "use_cache": true,
    "vocab_size": 151936
  },
  "tie_word_embeddings": true,
  "transformers_version": "4.57.0.dev0",
  "video_token_id": 151656,
  "vision_config": {
    "deepstack_visual_indexes": [5, 11, 17],
    "depth": 24,
    "hidden_act": "gelu_pytorch_tanh",
    "hidden_size": 1024,
    "in_channels": 3,
    "initializer_range": 0.02,
    "intermediate_size": 4096,
    "model_type": "qwen3_vl",
    "num_heads": 16,
    "num_position_embeddings": 2304,
    "out_hidden_size": 2048,
    "patch_size": 16,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2
  },
  "vision_end_token_id": 151653,
  "vision_start_token_id": 151652
})";

json Base() { return json::parse(kQwen3Vl2B); }

// The same checkpoint in the transformers v5 spelling: rope_parameters.
json V5Spelling() {
  json j = Base();
  json& t = j["text_config"];
  t["rope_parameters"] = {{"rope_theta", 5000000.0},
                          {"mrope_section", {24, 20, 20}},
                          {"mrope_interleaved", true},
                          {"rope_type", "default"}};
  t.erase("rope_theta");
  t.erase("rope_scaling");
  return j;
}

StatusOr<ModelConfig> Parse(const json& j) { return ParseModelConfig(j.dump()); }

void ExpectSame(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(ModelConfigToJson(a), ModelConfigToJson(b));
  EXPECT_EQ(a.text.rope_theta, b.text.rope_theta);
  EXPECT_EQ(a.text.mrope_section, b.text.mrope_section);
  EXPECT_EQ(a.text.mrope_interleaved, b.text.mrope_interleaved);
  EXPECT_EQ(a.vision.deepstack_visual_indexes, b.vision.deepstack_visual_indexes);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.torch_dtype, b.torch_dtype);
}

TEST(ModelConfig, Parses2BWithSpecValues) {
  StatusOr<ModelConfig> c = ParseModelConfig(kQwen3Vl2B);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->model_type, "qwen3_vl");
  EXPECT_EQ(c->architecture, "Qwen3VLForConditionalGeneration");
  EXPECT_EQ(c->torch_dtype, "bfloat16");
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_EQ(c->image_token_id, 151655);
  EXPECT_EQ(c->video_token_id, 151656);
  EXPECT_EQ(c->vision_start_token_id, 151652);
  EXPECT_EQ(c->vision_end_token_id, 151653);
  const TextConfig& t = c->text;
  EXPECT_EQ(t.hidden_size, 2048);
  EXPECT_EQ(t.num_hidden_layers, 28);
  EXPECT_EQ(t.num_attention_heads, 16);
  EXPECT_EQ(t.num_key_value_heads, 8);
  EXPECT_EQ(t.head_dim, 128);
  EXPECT_EQ(t.intermediate_size, 6144);
  EXPECT_EQ(t.vocab_size, 151936);
  EXPECT_EQ(t.max_position_embeddings, 262144);
  EXPECT_EQ(t.rope_theta, 5e6);
  EXPECT_EQ(t.rms_norm_eps, 1e-6);
  EXPECT_EQ(t.mrope_section, (std::vector<int64_t>{24, 20, 20}));
  EXPECT_TRUE(t.mrope_interleaved);
  EXPECT_FALSE(t.attention_bias);
  EXPECT_EQ(t.hidden_act, "silu");
  const VisionConfig& v = c->vision;
  EXPECT_EQ(v.depth, 24);
  EXPECT_EQ(v.hidden_size, 1024);
  EXPECT_EQ(v.num_heads, 16);
  EXPECT_EQ(v.intermediate_size, 4096);
  EXPECT_EQ(v.patch_size, 16);
  EXPECT_EQ(v.temporal_patch_size, 2);
  EXPECT_EQ(v.spatial_merge_size, 2);
  EXPECT_EQ(v.in_channels, 3);
  EXPECT_EQ(v.out_hidden_size, 2048);
  EXPECT_EQ(v.num_position_embeddings, 2304);
  EXPECT_EQ(v.deepstack_visual_indexes, (std::vector<int64_t>{5, 11, 17}));
  EXPECT_EQ(v.hidden_act, "gelu_pytorch_tanh");
}

TEST(ModelConfig, Parses8BWithSpecValues) {
  json j = Base();
  j["tie_word_embeddings"] = false;
  j["text_config"].erase("tie_word_embeddings");
  json& t = j["text_config"];
  t["hidden_size"] = 4096;
  t["num_hidden_layers"] = 36;
  t["num_attention_heads"] = 32;
  t["intermediate_size"] = 12288;
  json& v = j["vision_config"];
  v["depth"] = 27;
  v["hidden_size"] = 1152;
  v["intermediate_size"] = 4304;
  v["out_hidden_size"] = 4096;
  v["deepstack_visual_indexes"] = {8, 16, 24};
  StatusOr<ModelConfig> c = Parse(j);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->text.num_attention_heads * c->text.head_dim, 4096);
  EXPECT_EQ(c->vision.hidden_size / c->vision.num_heads, 72);
  EXPECT_EQ(c->vision.deepstack_visual_indexes, (std::vector<int64_t>{8, 16, 24}));
}

TEST(ModelConfig, BothRopeSpellingsGiveIdenticalStructs) {
  StatusOr<ModelConfig> old_style = Parse(Base());
  StatusOr<ModelConfig> v5 = Parse(V5Spelling());
  ASSERT_TRUE(old_style.ok()) << old_style.status().ToString();
  ASSERT_TRUE(v5.ok()) << v5.status().ToString();
  ExpectSame(*old_style, *v5);
  // v5 also renames torch_dtype to dtype at the top level.
  json top_dtype = V5Spelling();
  top_dtype["text_config"].erase("dtype");
  top_dtype["dtype"] = "bfloat16";
  StatusOr<ModelConfig> c = Parse(top_dtype);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->torch_dtype, "bfloat16");
}

TEST(ModelConfig, TieWordEmbeddingsMayLiveInTextConfig) {
  json j = Base();
  j.erase("tie_word_embeddings");
  StatusOr<ModelConfig> c = Parse(j);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->tie_word_embeddings);
  j["text_config"].erase("tie_word_embeddings");
  c = Parse(j);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->tie_word_embeddings);  // transformers' Qwen3VLConfig default
}

TEST(ModelConfig, ToJsonRoundTrips) {
  StatusOr<ModelConfig> c = ParseModelConfig(kQwen3Vl2B);
  ASSERT_TRUE(c.ok());
  std::string text = ModelConfigToJson(*c);
  json written = json::parse(text);
  // 4.57 spelling, as the header promises.
  EXPECT_TRUE(written["text_config"].contains("rope_scaling"));
  EXPECT_EQ(written["text_config"]["rope_theta"], 5e6);
  StatusOr<ModelConfig> back = ParseModelConfig(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*c, *back);
}

TEST(ModelConfig, EachMissingRequiredKeyIsNamed) {
  const std::vector<std::pair<std::string, std::string>> required = {
      {"", "model_type"},
      {"", "text_config"},
      {"", "vision_config"},
      {"text_config", "hidden_size"},
      {"text_config", "num_hidden_layers"},
      {"text_config", "num_attention_heads"},
      {"text_config", "num_key_value_heads"},
      {"text_config", "head_dim"},
      {"text_config", "intermediate_size"},
      {"text_config", "vocab_size"},
      {"text_config", "max_position_embeddings"},
      {"text_config", "rms_norm_eps"},
      {"text_config", "rope_theta"},
      {"text_config", "rope_scaling"},
      {"vision_config", "depth"},
      {"vision_config", "hidden_size"},
      {"vision_config", "num_heads"},
      {"vision_config", "intermediate_size"},
      {"vision_config", "patch_size"},
      {"vision_config", "temporal_patch_size"},
      {"vision_config", "spatial_merge_size"},
      {"vision_config", "out_hidden_size"},
      {"vision_config", "num_position_embeddings"},
      {"vision_config", "deepstack_visual_indexes"},
  };
  for (const auto& [parent, key] : required) {
    json j = Base();
    (parent.empty() ? j : j[parent]).erase(key);
    std::string path = parent.empty() ? key : parent + "." + key;
    StatusOr<ModelConfig> c = Parse(j);
    EXPECT_FALSE(c.ok()) << path;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(c.status().message(), "config.json: missing required key " + path);
  }
  // Inside the rope objects, both spellings.
  json j = Base();
  j["text_config"]["rope_scaling"].erase("mrope_section");
  EXPECT_EQ(Parse(j).status().message(),
            "config.json: missing required key text_config.rope_scaling.mrope_section");
  j = V5Spelling();
  j["text_config"]["rope_parameters"].erase("rope_theta");
  EXPECT_EQ(Parse(j).status().message(),
            "config.json: missing required key text_config.rope_parameters.rope_theta");
}

struct Mutation {
  const char* name;
  std::function<void(json&)> apply;
  StatusCode code;
  const char* message;  // substring
};

TEST(ModelConfig, RejectsWrongTypesAndInconsistentValues) {
  const StatusCode kInvalid = StatusCode::kInvalidArgument;
  const StatusCode kUnimpl = StatusCode::kUnimplemented;
  std::vector<Mutation> cases = {
      {"nkv does not divide nh", [](json& j) { j["text_config"]["num_key_value_heads"] = 3; },
       kInvalid,
       "config.json: text_config.num_key_value_heads (3) must divide num_attention_heads (16)"},
      {"mrope sum",
       [](json& j) {
         j["text_config"]["rope_scaling"]["mrope_section"] = {24, 20, 21};
       },
       kInvalid,
       "text_config.rope_scaling.mrope_section must have 3 entries summing to head_dim / 2 (64)"},
      {"mrope two entries",
       [](json& j) {
         j["text_config"]["rope_scaling"]["mrope_section"] = {32, 32};
       },
       kInvalid, "mrope_section must have 3 entries"},
      {"mrope huge entries",
       [](json& j) {
         j["text_config"]["rope_scaling"]["mrope_section"] = {INT64_MAX, INT64_MAX, 2};
       },
       kInvalid, "mrope_section must have 3 entries"},
      {"odd head_dim", [](json& j) { j["text_config"]["head_dim"] = 127; }, kInvalid,
       "text_config.head_dim (127) must be even"},
      {"vision heads", [](json& j) { j["vision_config"]["num_heads"] = 15; }, kInvalid,
       "vision_config.num_heads (15) must divide hidden_size (1024)"},
      {"deepstack index = depth",
       [](json& j) {
         j["vision_config"]["deepstack_visual_indexes"] = {5, 11, 24};
       },
       kInvalid,
       "vision_config.deepstack_visual_indexes entry 24 must be a distinct block index below depth "
       "(24)"},
      {"deepstack negative", [](json& j) { j["vision_config"]["deepstack_visual_indexes"] = {-1}; },
       kInvalid, "deepstack_visual_indexes entry -1"},
      {"deepstack repeated",
       [](json& j) {
         j["vision_config"]["deepstack_visual_indexes"] = {5, 5};
       },
       kInvalid, "deepstack_visual_indexes entry 5"},
      {"position embeddings not square",
       [](json& j) { j["vision_config"]["num_position_embeddings"] = 2300; }, kInvalid,
       "vision_config.num_position_embeddings (2300) must be a perfect square"},
      {"out_hidden_size", [](json& j) { j["vision_config"]["out_hidden_size"] = 2560; }, kInvalid,
       "vision_config.out_hidden_size (2560) must equal text_config.hidden_size (2048)"},
      {"text act", [](json& j) { j["text_config"]["hidden_act"] = "gelu"; }, kUnimpl,
       "text_config.hidden_act \"gelu\" is not supported"},
      {"vision act", [](json& j) { j["vision_config"]["hidden_act"] = "silu"; }, kUnimpl,
       "vision_config.hidden_act \"silu\" is not supported"},
      {"in_channels", [](json& j) { j["vision_config"]["in_channels"] = 4; }, kUnimpl,
       "vision_config.in_channels (4) must be 3"},
      {"model_type", [](json& j) { j["model_type"] = "llava"; }, kUnimpl,
       "model_type \"llava\" is not supported"},
      {"rope_type yarn", [](json& j) { j["text_config"]["rope_scaling"]["rope_type"] = "yarn"; },
       kUnimpl, "text_config.rope_scaling.rope_type \"yarn\" is not supported"},
      {"string for int", [](json& j) { j["text_config"]["hidden_size"] = "2048"; }, kInvalid,
       "text_config.hidden_size must be an integer, got string \"2048\""},
      {"float for int", [](json& j) { j["vision_config"]["depth"] = 24.5; }, kInvalid,
       "vision_config.depth must be an integer, got number 24.5"},
      {"zero", [](json& j) { j["text_config"]["num_hidden_layers"] = 0; }, kInvalid,
       "text_config.num_hidden_layers must be positive, got 0"},
      {"negative", [](json& j) { j["vision_config"]["hidden_size"] = -1024; }, kInvalid,
       "vision_config.hidden_size must be positive, got -1024"},
      {"too large", [](json& j) { j["text_config"]["vocab_size"] = UINT64_MAX; }, kInvalid,
       "text_config.vocab_size is too large"},
      {"negative eps", [](json& j) { j["text_config"]["rms_norm_eps"] = -1e-6; }, kInvalid,
       "text_config.rms_norm_eps must be in (0, 1)"},
      {"zero theta", [](json& j) { j["text_config"]["rope_theta"] = 0; }, kInvalid,
       "text_config.rope_theta must be a positive number"},
      {"bool type", [](json& j) { j["text_config"]["attention_bias"] = 0; }, kInvalid,
       "text_config.attention_bias must be true or false"},
      {"text_config not an object", [](json& j) { j["text_config"] = json::array(); }, kInvalid,
       "text_config must be an object"},
      {"mrope_section not ints",
       [](json& j) {
         j["text_config"]["rope_scaling"]["mrope_section"] = {24, "20", 20};
       },
       kInvalid, "text_config.rope_scaling.mrope_section[1] must be an integer"},
      {"image token beyond vocab", [](json& j) { j["image_token_id"] = 151936; }, kInvalid,
       "image_token_id (151936) must be a token id below text_config.vocab_size (151936)"},
      {"architectures type", [](json& j) { j["architectures"] = "Qwen3VL"; }, kInvalid,
       "architectures must be a non-empty array of strings"},
  };
  for (const Mutation& m : cases) {
    SCOPED_TRACE(m.name);
    json j = Base();
    m.apply(j);
    StatusOr<ModelConfig> c = Parse(j);
    EXPECT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), m.code) << c.status().ToString();
    EXPECT_NE(c.status().message().find(m.message), std::string::npos) << c.status().ToString();
  }
}

TEST(ModelConfig, RejectsNonJsonAndOtherModels) {
  EXPECT_EQ(ParseModelConfig("{\"model_type\":").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseModelConfig("[1]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseModelConfig("").status().code(), StatusCode::kDataLoss);
  // The real Qwen2.5-VL-7B config: a different architecture, refused by name.
  const std::string path =
      std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen2.5-vl-7b-instruct/config.json";
  StatusOr<ModelConfig> c = LoadModelConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(c.status().message().find("qwen2_5_vl"), std::string::npos);
  EXPECT_NE(c.status().message().find(path), std::string::npos);
  EXPECT_EQ(LoadModelConfig("/nonexistent/config.json").status().code(), StatusCode::kNotFound);
}

// Regression (issue 11): config.json nested 100,000 deep is an error naming the limit.
TEST(ModelConfig, DeepNestingIsAnError) {
  const std::string deep = "{\"text_config\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  StatusOr<ModelConfig> c = ParseModelConfig(deep);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(c.status().message().find("config.json: JSON nested deeper than 64 levels"),
            std::string::npos)
      << c.status().message();
}

}  // namespace
}  // namespace corgi::qwen3vl
