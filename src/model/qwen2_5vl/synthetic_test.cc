#include "corgi/model/qwen2_5vl/synthetic.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/temp_dir_test_util.h"
#include "corgi/backend/ops.h"
#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen2_5vl/checkpoint_summary.h"
#include "corgi/model/qwen2_5vl/family.h"
#include "corgi/model/qwen2_5vl/model.h"
#include "corgi/model/qwen2_5vl/presets.h"
#include "corgi/model/registry.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi::qwen2_5vl {
namespace {

namespace fs = std::filesystem;

TEST(Qwen25Synthetic, TinyRoundTripsThroughTheLoader) {
  test_util::TempDir dir;
  ThreadPool pool(2);
  const ModelConfig config = *PresetConfig("tiny");
  Status s =
      WriteSyntheticCheckpoint(config, test_models::Options(7, DType::kF32), dir.path(), &pool);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const char* f :
       {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.json",
        "merges.txt", "chat_template.json", "preprocessor_config.json", "generation_config.json"})
    EXPECT_TRUE(fs::exists(dir.File(f))) << f;
  // The release's preprocessor and generation configs, verbatim.
  const std::string release = std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen2.5-vl-7b-instruct/";
  EXPECT_EQ(*ReadFileToString(dir.File("preprocessor_config.json")),
            *ReadFileToString(release + "preprocessor_config.json"));

  StatusOr<std::unique_ptr<Model>> model = Model::Load(dir.path());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Model& m = **model;
  EXPECT_EQ(m.model_type(), "qwen2_5_vl");
  EXPECT_EQ(ModelConfigToJson(m.config()).find("\"torch_dtype\": \"float32\"") != std::string::npos,
            true);
  EXPECT_EQ(m.grounding_space(), GroundingSpace::kResizedInputPixels);
  EXPECT_EQ(m.image_token_id(), 151655);
  EXPECT_EQ(m.text_shape().hidden, 32);
  EXPECT_EQ(m.text_shape().vocab, 151936);
  EXPECT_EQ(m.text_shape().layers, 3);
  EXPECT_EQ(m.text_shape().kv_heads, 1);
  EXPECT_EQ(m.text_shape().head_dim, 16);
  EXPECT_EQ(m.text_shape().max_positions, 128000);
  EXPECT_EQ(m.sampleable_vocab(), m.tokenizer().vocab_size());
  EXPECT_EQ(m.generation().eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(m.preprocessor().min_pixels, 3136);
  EXPECT_EQ(m.weights().text.lm_head.data, m.weights().text.embed_tokens.data);  // tied

  StatusOr<VisionPreprocessParams> p = m.PreprocessParams();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->patch_size, 14);
  EXPECT_EQ(p->min_pixels, 3136);
  EXPECT_EQ(p->max_pixels, 12845056);
  EXPECT_EQ(p->image_mean[0], 0.48145466f);
  EXPECT_EQ(p->image_std[2], 0.27577711f);

  // Values are the generator's, element for element.
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->Find("lm_head.weight"), nullptr);  // tied: omitted like save_pretrained
  for (const WeightSpec& spec : WeightTable(config)) {
    if (!spec.required) continue;
    const TensorView v = store->View(*store->Find(spec.name));
    for (int64_t i : {int64_t{0}, spec.shape.numel() / 2, spec.shape.numel() - 1})
      ASSERT_EQ(v.as<float>()[i], SyntheticValue(7, spec, i)) << spec.name << "[" << i << "]";
  }
}

TEST(Qwen25Synthetic, DeterministicAndShardedLikeHuggingFace) {
  test_util::TempDir a, b;
  ThreadPool pool(2);
  const ModelConfig config = *PresetConfig("tiny");
  SyntheticOptions o = test_models::Options(3, DType::kBF16);
  o.max_shard_bytes = 4 << 20;  // the 9.7 MB embedding alone exceeds it
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, o, a.path(), &pool).ok());
  ASSERT_TRUE(WriteSyntheticCheckpoint(config, o, b.path(), nullptr).ok());
  EXPECT_TRUE(fs::exists(a.File("model.safetensors.index.json")));
  for (const auto& entry : fs::directory_iterator(a.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(*ReadFileToString(a.File(name)), *ReadFileToString(b.File(name))) << name;
  }
  StatusOr<std::unique_ptr<Model>> model = Model::Load(a.path());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->weights().text.embed_tokens.dtype, DType::kBF16);
}

TEST(Qwen25Synthetic, RejectsIntegerDtypeAndMissingSources) {
  test_util::TempDir dir;
  const ModelConfig config = *PresetConfig("tiny");
  EXPECT_EQ(
      WriteSyntheticCheckpoint(config, test_models::Options(1, DType::kI32), dir.path(), nullptr)
          .code(),
      StatusCode::kInvalidArgument);
  SyntheticOptions o = test_models::Options(1, DType::kF32);
  o.tokenizer_source = dir.File("nowhere");
  Status s = WriteSyntheticCheckpoint(config, o, dir.File("out"), nullptr);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("tokenizer.json"), std::string::npos) << s.ToString();
}

TEST(Qwen25Synthetic, SummaryCountsTheTable) {
  test_util::TempDir dir;
  ASSERT_TRUE(test_models::WriteTinyCheckpoint(dir.path(), 1, DType::kBF16, "qwen2_5_vl").ok());
  StatusOr<CheckpointSummary> s = SummarizeCheckpoint(dir.path());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->model_type, "qwen2_5_vl");
  EXPECT_EQ(s->architecture, "Qwen2_5_VLForConditionalGeneration");
  EXPECT_EQ(s->stored_dtype, "bfloat16");
  EXPECT_TRUE(s->lm_head_tied);
  int64_t vision = 0, text = 0;
  for (const WeightSpec& spec : WeightTable(*PresetConfig("tiny"))) {
    if (!spec.required) continue;
    const bool is_vision =
        spec.part == WeightPart::kVisionTower || spec.part == WeightPart::kVisionMerger;
    (is_vision ? vision : text) += spec.shape.numel();
  }
  EXPECT_EQ(s->vision_parameters, vision);
  EXPECT_EQ(s->text_parameters, text);
  EXPECT_EQ(s->total_parameters, vision + text);
  EXPECT_EQ(s->weight_bytes, 2 * (vision + text));
  EXPECT_EQ(s->dtype_tensors.at("BF16"),
            static_cast<int64_t>(WeightTable(*PresetConfig("tiny")).size()) - 1);
  EXPECT_EQ(s->kv_bytes_per_token, 2 * 3 * 16 * 4);
  EXPECT_TRUE(s->unknown_tensors.empty());
  ASSERT_EQ(s->shape.size(), 2u);
  EXPECT_NE(s->shape[1].second.find("window 56 px"), std::string::npos) << s->shape[1].second;
}

TEST(Qwen25Family, RegistersAndLoadsThroughTheSeam) {
  const ModelFamily f = Qwen25VlFamily();
  EXPECT_EQ(f.model_type, "qwen2_5_vl");
  EXPECT_EQ(f.display_name, "Qwen2.5-VL");
  EXPECT_EQ(f.presets, PresetNames());
  test_util::TempDir dir;
  ASSERT_TRUE(
      f.write_synthetic("tiny", test_models::Options(2, DType::kBF16), dir.path(), nullptr).ok());
  EXPECT_EQ(
      f.write_synthetic("huge", test_models::Options(2, DType::kBF16), dir.path(), nullptr).code(),
      StatusCode::kNotFound);
  StatusOr<std::unique_ptr<LoadedModel>> loaded = f.load(dir.path(), {});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->model_type(), "qwen2_5_vl");
  ASSERT_TRUE(f.summarize(dir.path()).ok());
  // Through the registry, by config.json's model_type.
  StatusOr<const ModelFamily*> registered = FindModelFamily("qwen2_5_vl");
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  StatusOr<std::unique_ptr<LoadedModel>> via_registry = LoadModel(dir.path());
  ASSERT_TRUE(via_registry.ok()) << via_registry.status().ToString();
  EXPECT_EQ((*via_registry)->model_type(), "qwen2_5_vl");
}

TEST(Qwen25Model, RenderChatOpensWithTheDefaultSystemTurn) {
  test_util::TempDir dir;
  ASSERT_TRUE(test_models::WriteTinyCheckpoint(dir.path(), 1, DType::kBF16, "qwen2_5_vl").ok());
  StatusOr<std::unique_ptr<Model>> model = Model::Load(dir.path());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Model& m = **model;
  std::vector<ChatMessage> chat = {{"user", {ChatContent::Image(2), ChatContent::Text("Hi")}}};
  StatusOr<std::vector<int32_t>> ids = m.RenderChat(chat);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*m.tokenizer().Decode(*ids, false),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "<|vision_start|><|image_pad|><|image_pad|><|vision_end|>Hi<|im_end|>\n<|im_start|>"
            "assistant\n");
  chat.insert(chat.begin(), ChatMessage{"system", {ChatContent::Text("Be brief.")}});
  ids = m.RenderChat(chat);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(
      m.tokenizer().Decode(*ids, false)->rfind("<|im_start|>system\nBe brief.<|im_end|>\n", 0), 0u);

  // Positions: the image run takes (t, row, col) over the merged 2 x 2 grid, 4 tokens
  // over 2 positions.
  const ImageGrid grid{1, 4, 4};
  StatusOr<std::vector<int32_t>> one =
      m.RenderChat(std::vector<ChatMessage>{{"user", {ChatContent::Image(4)}}});
  ASSERT_TRUE(one.ok());
  StatusOr<TextPositions> pos = m.ComputePositions(*one, std::span(&grid, 1));
  ASSERT_TRUE(pos.ok()) << pos.status().ToString();
  EXPECT_EQ(pos->length, static_cast<int64_t>(one->size()));
  EXPECT_EQ(pos->rope_delta, -2);
}

}  // namespace
}  // namespace corgi::qwen2_5vl
