#include "corgi/model/qwen2_5vl/weights.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>

#include "core/temp_dir_test_util.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen2_5vl/presets.h"

namespace corgi::qwen2_5vl {
namespace {

std::map<std::string, WeightSpec> ByName(const ModelConfig& c) {
  std::map<std::string, WeightSpec> out;
  for (const WeightSpec& s : WeightTable(c))
    EXPECT_TRUE(out.emplace(s.name, s).second) << "twice: " << s.name;
  return out;
}

int64_t Parameters(const ModelConfig& c) {
  int64_t n = 0;
  for (const WeightSpec& s : WeightTable(c))
    if (s.required) n += s.shape.numel();
  return n;
}

TEST(Qwen25Weights, TinyTable) {
  const ModelConfig c = *PresetConfig("tiny");
  const auto t = ByName(c);
  // Vision: patch embed; 4 blocks x 12 tensors; merger 5. Text: embed; 3 layers x 12; norm;
  // lm_head.
  EXPECT_EQ(t.size(), 1u + 4 * 12 + 5 + 1 + 3 * 12 + 1 + 1);
  EXPECT_EQ(t.at("visual.patch_embed.proj.weight").shape, (Shape{32, 3, 2, 14, 14}));
  EXPECT_EQ(t.at("visual.patch_embed.proj.weight").fan_in, 1176);
  EXPECT_EQ(t.count("visual.patch_embed.proj.bias"), 0u);
  EXPECT_EQ(t.at("visual.blocks.3.norm2.weight").shape, (Shape{32}));
  EXPECT_EQ(t.at("visual.blocks.0.attn.qkv.weight").shape, (Shape{96, 32}));
  EXPECT_EQ(t.at("visual.blocks.0.attn.qkv.bias").shape, (Shape{96}));
  EXPECT_EQ(t.at("visual.blocks.2.mlp.gate_proj.bias").shape, (Shape{64}));
  EXPECT_EQ(t.at("visual.blocks.2.mlp.down_proj.weight").shape, (Shape{32, 64}));
  EXPECT_EQ(t.at("visual.merger.ln_q.weight").shape, (Shape{32}));
  EXPECT_EQ(t.at("visual.merger.mlp.0.weight").shape, (Shape{128, 128}));
  EXPECT_EQ(t.at("visual.merger.mlp.2.weight").shape, (Shape{32, 128}));
  EXPECT_EQ(t.at("visual.merger.mlp.2.bias").part, WeightPart::kVisionMerger);
  EXPECT_EQ(t.at("model.embed_tokens.weight").shape, (Shape{151936, 32}));
  EXPECT_EQ(t.at("model.layers.2.self_attn.q_proj.bias").shape, (Shape{32}));
  EXPECT_EQ(t.at("model.layers.2.self_attn.k_proj.weight").shape, (Shape{16, 32}));
  EXPECT_EQ(t.count("model.layers.2.self_attn.o_proj.bias"), 0u);
  EXPECT_EQ(t.count("model.layers.0.mlp.up_proj.bias"), 0u);
  EXPECT_EQ(t.count("model.layers.0.self_attn.q_norm.weight"), 0u);
  EXPECT_EQ(t.at("model.norm.weight").shape, (Shape{32}));
  EXPECT_FALSE(t.at("lm_head.weight").required);  // tied
}

TEST(Qwen25Weights, ReleaseTablesCountTheReleasedParameters) {
  const ModelConfig c = *PresetConfig("7b");
  const auto t = ByName(c);
  EXPECT_EQ(t.at("visual.patch_embed.proj.weight").shape, (Shape{1280, 3, 2, 14, 14}));
  EXPECT_EQ(t.at("visual.blocks.31.attn.qkv.weight").shape, (Shape{3840, 1280}));
  EXPECT_EQ(t.at("visual.blocks.31.mlp.up_proj.weight").shape, (Shape{3420, 1280}));
  EXPECT_EQ(t.at("visual.merger.mlp.0.weight").shape, (Shape{5120, 5120}));
  EXPECT_EQ(t.at("visual.merger.mlp.2.weight").shape, (Shape{3584, 5120}));
  EXPECT_EQ(t.at("model.layers.27.self_attn.k_proj.weight").shape, (Shape{512, 3584}));
  EXPECT_EQ(t.at("model.layers.27.mlp.down_proj.weight").shape, (Shape{3584, 18944}));
  EXPECT_EQ(t.at("model.embed_tokens.weight").shape, (Shape{152064, 3584}));
  EXPECT_TRUE(t.at("lm_head.weight").required);
  // The 7B release's model.safetensors.index.json total_size is 16584333312 bytes of BF16.
  EXPECT_EQ(Parameters(c), 8292166656);
  EXPECT_EQ(Parameters(*PresetConfig("3b")), 3754622976);  // tied: no lm_head
}

// Writes every required tensor of `c` (zeros; norm weights one) under `rename(name)`.
Status WriteCheckpoint(const ModelConfig& c, const std::string& dir,
                       std::string (*rename)(const std::string&),
                       const std::vector<TensorToWrite>& extra = {}) {
  std::vector<TensorToWrite> tensors;
  for (const WeightSpec& s : WeightTable(c)) {
    if (!s.required) continue;
    TensorToWrite t;
    t.name = rename(s.name);
    t.dtype = DType::kF32;
    t.shape = s.shape;
    t.fill = [n = s.shape.numel()](uint8_t* dst) { std::memset(dst, 0, n * 4); };
    tensors.push_back(t);
  }
  for (const TensorToWrite& t : extra) tensors.push_back(t);
  return WriteCheckpointTensors(dir, tensors, size_t{1} << 40);
}

std::string Same(const std::string& name) { return name; }
std::string V5(const std::string& name) {
  if (name.rfind("visual.", 0) == 0) return "model." + name;
  if (name.rfind("model.", 0) == 0) return "model.language_model." + name.substr(6);
  return name;
}

TEST(Qwen25Weights, BindsBothNameLayouts) {
  ModelConfig c = *PresetConfig("tiny");
  c.tie_word_embeddings = false;
  for (auto rename : {&Same, &V5}) {
    test_util::TempDir dir;
    ASSERT_TRUE(WriteCheckpoint(c, dir.path(), rename).ok());
    StatusOr<TensorStore> store = TensorStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<std::string> unknown;
    Status s = ValidateCheckpoint(*store, c, &unknown);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(unknown.empty());
    WeightBinder binder(*store, FindWeight, WeightsMode::kAsStored, nullptr);
    StatusOr<Weights> w = BindWeights(*store, c, &binder);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ(w->vision.patch_embed.shape, (Shape{32, 1176}));
    ASSERT_EQ(w->vision.blocks.size(), 4u);
    EXPECT_NE(w->vision.blocks[3].down.bias.data, nullptr);
    EXPECT_NE(w->vision.merger_fc2.bias.data, nullptr);
    ASSERT_EQ(w->text.layers.size(), 3u);
    EXPECT_NE(w->text.layers[2].q.bias.data, nullptr);
    EXPECT_EQ(w->text.layers[2].o.bias.data, nullptr);
    EXPECT_EQ(w->text.layers[2].k.weight.shape, (Shape{16, 32}));
    EXPECT_NE(w->text.lm_head.data, w->text.embed_tokens.data);  // untied
    EXPECT_EQ(w->text.final_norm.data, store->View(*FindWeight(*store, "model.norm.weight")).data);
  }
}

TEST(Qwen25Weights, TiedCheckpointUsesTheEmbedding) {
  const ModelConfig c = *PresetConfig("tiny");
  test_util::TempDir dir;
  ASSERT_TRUE(WriteCheckpoint(c, dir.path(), &Same).ok());
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  WeightBinder binder(*store, FindWeight, WeightsMode::kAsStored, nullptr);
  StatusOr<Weights> w = BindWeights(*store, c, &binder);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->text.lm_head.data, w->text.embed_tokens.data);
}

TEST(Qwen25Weights, ErrorsNameTheTensor) {
  ModelConfig c = *PresetConfig("tiny");
  test_util::TempDir dir;
  TensorToWrite extra;
  extra.name = "visual.blocks.0.attn.extra";
  extra.shape = Shape{2};
  extra.fill = [](uint8_t* dst) { std::memset(dst, 0, 8); };
  ASSERT_TRUE(WriteCheckpoint(c, dir.path(), &Same, {extra}).ok());
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<std::string> unknown;
  ASSERT_TRUE(ValidateCheckpoint(*store, c, &unknown).ok());
  EXPECT_EQ(unknown, (std::vector<std::string>{"visual.blocks.0.attn.extra"}));

  // Untied: lm_head becomes required.
  c.tie_word_embeddings = false;
  Status missing = ValidateCheckpoint(*store, c, nullptr);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("lm_head.weight"), std::string::npos) << missing.ToString();

  // A config asking for wider vision MLPs than stored.
  c = *PresetConfig("tiny");
  c.vision.intermediate_size = 80;
  Status shape = ValidateCheckpoint(*store, c, nullptr);
  EXPECT_EQ(shape.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(shape.message().find(
                "visual.blocks.0.mlp.gate_proj.weight: shape [64, 32] in checkpoint, [80, 32]"),
            std::string::npos)
      << shape.ToString();
  WeightBinder binder(*store, FindWeight, WeightsMode::kAsStored, nullptr);
  EXPECT_FALSE(BindWeights(*store, c, &binder).ok());
}

TEST(Qwen25Weights, RejectsIntegerTensors) {
  const ModelConfig c = *PresetConfig("tiny");
  test_util::TempDir dir;
  std::vector<TensorToWrite> tensors;
  for (const WeightSpec& s : WeightTable(c)) {
    if (!s.required) continue;
    TensorToWrite t;
    t.name = s.name;
    t.dtype = s.name == "model.norm.weight" ? DType::kI32 : DType::kF32;
    t.shape = s.shape;
    t.fill = [n = s.shape.numel()](uint8_t* dst) { std::memset(dst, 0, n * 4); };
    tensors.push_back(t);
  }
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), tensors, size_t{1} << 40).ok());
  // The safetensors reader refuses it before the table is consulted, naming the tensor.
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  EXPECT_EQ(store.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(store.status().message().find("model.norm.weight"), std::string::npos)
      << store.status().ToString();
}

}  // namespace
}  // namespace corgi::qwen2_5vl
