#include "corgi/model/qwen3vl/synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "corgi/core/half.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/checkpoint_summary.h"
#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("corgi_synth_" + name);
  fs::remove_all(p);
  return p.string();
}

SyntheticOptions Options(DType dtype, uint64_t seed) {
  SyntheticOptions o;
  o.seed = seed;
  o.dtype = dtype;
  o.tokenizer_source = std::string(CORGI_SHARED_DATA) + "/tokenizer";
  return o;
}

TEST(Synthetic, TinyRoundTripsThroughTheLoader) {
  ModelConfig config = *PresetConfig("tiny");
  std::string dir = TempDir("tiny_f32");
  ThreadPool pool(2);
  Status s = WriteSyntheticCheckpoint(config, Options(DType::kF32, 7), dir, &pool);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                        "vocab.json", "merges.txt", "preprocessor_config.json", "generation_config.json",
                        "chat_template.json"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;

  StatusOr<ModelConfig> loaded = LoadModelConfig(dir + "/config.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->text.hidden_size, config.text.hidden_size);
  EXPECT_EQ(loaded->vision.deepstack_visual_indexes, config.vision.deepstack_visual_indexes);
  EXPECT_EQ(loaded->text.mrope_section, config.text.mrope_section);

  StatusOr<TensorStore> store = TensorStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<std::string> unknown;
  ASSERT_TRUE(ValidateCheckpoint(*store, *loaded, &unknown).ok());
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(store->Find("lm_head.weight"), nullptr);  // tied: omitted like save_pretrained

  // Values are the generator's, element for element.
  const TensorInfo* norm = store->Find("model.language_model.norm.weight");
  ASSERT_NE(norm, nullptr);
  TensorView v = store->View(*norm);
  for (int64_t i = 0; i < v.numel(); ++i) {
    float expected = SyntheticValue(7, norm->name, i, 1.7320508f * 0.1f, 1.0f);
    EXPECT_EQ(v.as<float>()[i], expected);
  }
}

TEST(Synthetic, DeterministicAndSeedDependent) {
  ModelConfig config = *PresetConfig("tiny");
  std::string a = TempDir("det_a"), b = TempDir("det_b"), c = TempDir("det_c");
  ThreadPool one(1), two(2);
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, Options(DType::kBF16, 1), a, &one).ok());
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, Options(DType::kBF16, 1), b, &two).ok());
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, Options(DType::kBF16, 2), c, &two).ok());
  auto bytes = [](const std::string& d) { return *ReadFileToString(d + "/model.safetensors"); };
  EXPECT_EQ(bytes(a), bytes(b));  // thread count does not matter
  EXPECT_NE(bytes(a), bytes(c));  // the seed does
}

TEST(Synthetic, ScalesKeepValuesSane) {
  ModelConfig config = *PresetConfig("tiny");
  std::string dir = TempDir("scales");
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, Options(DType::kBF16, 3), dir, nullptr).ok());
  TensorStore store = *TensorStore::Open(dir);
  for (const WeightSpec& spec : WeightTable(config)) {
    const TensorInfo* info = store.Find(spec.name);
    if (!info) continue;
    TensorView v = store.View(*info);
    double sum2 = 0;
    for (int64_t i = 0; i < v.numel(); ++i) {
      float x = Bf16ToF32(v.as<uint16_t>()[i]);
      ASSERT_TRUE(std::isfinite(x));
      sum2 += x * x;
    }
    double rms = std::sqrt(sum2 / v.numel());
    if (spec.init == WeightInit::kLinear) {
      EXPECT_NEAR(rms * std::sqrt(spec.fan_in), 1.0, 0.25) << spec.name;
    }
    if (spec.init == WeightInit::kNormWeight) {
      EXPECT_NEAR(rms, 1.0, 0.1) << spec.name;
    }
  }
}

TEST(Synthetic, ShardsAboveTheLimitWithAnIndex) {
  ModelConfig config = *PresetConfig("tiny");
  SyntheticOptions o = Options(DType::kBF16, 5);
  o.max_shard_bytes = 4 << 20;  // 4 MB: the ~10 MB tiny checkpoint needs several shards
  std::string dir = TempDir("sharded");
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, o, dir, nullptr).ok());
  EXPECT_TRUE(fs::exists(dir + "/model.safetensors.index.json"));
  StatusOr<CheckpointSummary> s = SummarizeCheckpoint(dir);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GE(s->files.size(), 2u);
  EXPECT_TRUE(s->lm_head_tied);
}

TEST(Synthetic, MissingTokenizerSourceIsAClearError) {
  SyntheticOptions o = Options(DType::kBF16, 0);
  o.tokenizer_source = "/nonexistent";
  Status s = WriteSyntheticCheckpoint(*PresetConfig("tiny"), o, TempDir("notok"), nullptr);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("tokenizer"), std::string::npos);
}

}  // namespace
}  // namespace corgi::qwen3vl
