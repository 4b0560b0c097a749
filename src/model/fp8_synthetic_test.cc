#include "corgi/model/fp8_synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/temp_dir_test_util.h"
#include "corgi/backend/ops.h"
#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/fp8_config.h"
#include "corgi/model/fp8_weights.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

// The tensors of a single-file checkpoint, read from its header directly (independent of
// the io layer, which may not accept F8_E4M3 on every branch).
struct RawTensor {
  std::string dtype;
  Shape shape;
  std::string bytes;
  TensorView View(DType d) const { return TensorView(bytes.data(), d, shape); }
};

std::map<std::string, RawTensor> ReadRaw(const std::string& path) {
  StatusOr<std::string> file = ReadFileToString(path);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok() || file->size() < 8) return {};
  uint64_t header_len = 0;
  std::memcpy(&header_len, file->data(), 8);
  const nlohmann::json header = nlohmann::json::parse(file->substr(8, header_len));
  const size_t data = 8 + header_len;
  std::map<std::string, RawTensor> out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    RawTensor t;
    t.dtype = (*it)["dtype"].get<std::string>();
    for (const auto& d : (*it)["shape"]) t.shape.push_back(d.get<int64_t>());
    const size_t begin = (*it)["data_offsets"][0].get<size_t>(), end = (*it)["data_offsets"][1].get<size_t>();
    t.bytes = file->substr(data + begin, end - begin);
    out[it.key()] = t;
  }
  return out;
}

std::string ReadText(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << path;
  return text.ok() ? *text : "";
}

class Fp8SyntheticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_models::WriteTinyCheckpoint(in_.path(), 7, DType::kBF16).ok());
  }
  test_util::TempDir in_, out_;
};

TEST_F(Fp8SyntheticTest, WritesTheOfficialLayout) {
  Fp8WriteOptions options;
  options.block_n = 32;  // the tiny preset's matrices are smaller than 128: several blocks
  options.block_k = 64;
  ASSERT_TRUE(WriteFp8Checkpoint(in_.path(), out_.path(), options).ok());

  StatusOr<std::optional<Fp8Config>> config = ReadFp8Config(ReadText(out_.File("config.json")), "config.json");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(config->has_value());
  EXPECT_EQ((*config)->block_n, 32);
  EXPECT_EQ((*config)->block_k, 64);
  EXPECT_EQ((*config)->activation_scheme, "dynamic");
  const std::vector<std::string>& kept = (*config)->modules_to_not_convert;
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.front(), "lm_head");
  const nlohmann::json in_config = nlohmann::json::parse(ReadText(in_.File("config.json")));
  nlohmann::json out_config = nlohmann::json::parse(ReadText(out_.File("config.json")));
  out_config.erase("quantization_config");
  EXPECT_EQ(out_config, in_config);  // nothing else changed

  StatusOr<TensorStore> source = TensorStore::Open(in_.path());
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  const std::map<std::string, RawTensor> written = ReadRaw(out_.File("model.safetensors"));
  int converted = 0, copied = 0;
  for (const TensorInfo& info : source->tensors()) {
    ASSERT_TRUE(written.count(info.name)) << info.name;
    const RawTensor& t = written.at(info.name);
    EXPECT_EQ(t.shape, info.shape) << info.name;
    const bool vision = info.name.rfind("model.visual.", 0) == 0;
    if (!IsFp8Target(info.name, info.shape.rank(), false)) {
      EXPECT_EQ(t.dtype, DTypeName(info.dtype)) << info.name;
      const TensorView src = source->View(info);
      EXPECT_EQ(t.bytes, std::string(static_cast<const char*>(src.data), src.bytes())) << info.name;
      EXPECT_FALSE(written.count(Fp8ScaleName(info.name))) << info.name;
      ++copied;
      continue;
    }
    EXPECT_FALSE(vision) << info.name;
    ++converted;
    ASSERT_EQ(t.dtype, "F8_E4M3") << info.name;
    ASSERT_TRUE(written.count(Fp8ScaleName(info.name))) << info.name;
    const RawTensor& scale = written.at(Fp8ScaleName(info.name));
    EXPECT_EQ(scale.dtype, "F32");
    // The written weight dequantizes to the source within fp8's precision.
    const int64_t n = info.shape[0], k = info.shape[1];
    std::vector<float> back(static_cast<size_t>(n * k)), original(back.size());
    ASSERT_TRUE(DequantizeFp8(info.name, t.View(DType::kF8E4M3), scale.View(DType::kF32), 32, 64, back.data()).ok())
        << info.name;
    ops::ConvertToF32(source->View(info).data, info.dtype, n * k, original.data());
    const float* scales = reinterpret_cast<const float*>(scale.bytes.data());
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t i = 0; i < k; ++i) {
        const float s = scales[(r / 32) * ((k + 63) / 64) + i / 64];
        ASSERT_LE(std::fabs(back[r * k + i] - original[r * k + i]), std::fabs(original[r * k + i]) / 16 + s * 0x1p-10f)
            << info.name << " " << r << "," << i;
      }
    }
  }
  EXPECT_GT(converted, 0);
  EXPECT_GT(copied, 0);
  EXPECT_EQ(written.size(), source->tensors().size() + converted);  // + one scale each

  // The vision tower's linears are listed as kept; no text decoder module is.
  int vision_kept = 0;
  for (const std::string& module : kept) {
    EXPECT_EQ(module.find("model.language_model."), std::string::npos) << module;
    vision_kept += module.rfind("model.visual.", 0) == 0;
    if (module != "lm_head") {
      EXPECT_TRUE(written.count(module + ".weight")) << module;
    }
  }
  EXPECT_GT(vision_kept, 0);

  // Every other file came along unchanged.
  int files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(in_.path())) {
    const std::string name = e.path().filename().string();
    if (name == "config.json" || name.find(".safetensors") != std::string::npos) continue;
    EXPECT_EQ(ReadText(out_.File(name)), ReadText(e.path().string())) << name;
    ++files;
  }
  EXPECT_GT(files, 2);  // tokenizer, preprocessor, generation config, ...
}

TEST_F(Fp8SyntheticTest, CanConvertTheVisionTowerToo) {
  Fp8WriteOptions options;
  options.quantize_vision = true;
  ASSERT_TRUE(WriteFp8Checkpoint(in_.path(), out_.path(), options).ok());
  const std::map<std::string, RawTensor> written = ReadRaw(out_.File("model.safetensors"));
  int vision_fp8 = 0;
  for (const auto& [name, t] : written) {
    if (name.rfind("model.visual.", 0) == 0 && t.dtype == "F8_E4M3") ++vision_fp8;
  }
  EXPECT_GT(vision_fp8, 0);
  EXPECT_EQ(written.at("model.visual.pos_embed.weight").dtype, "BF16");  // an embedding, kept
}

TEST_F(Fp8SyntheticTest, RejectsBadRequests) {
  EXPECT_EQ(WriteFp8Checkpoint(in_.path(), in_.path()).code(), StatusCode::kInvalidArgument);
  Fp8WriteOptions bad;
  bad.block_k = 0;
  EXPECT_EQ(WriteFp8Checkpoint(in_.path(), out_.path(), bad).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(WriteFp8Checkpoint(in_.File("missing"), out_.path()).ok());
  // An FP8 checkpoint cannot be converted again: its config is already quantized.
  ASSERT_TRUE(WriteFp8Checkpoint(in_.path(), out_.path()).ok());
  test_util::TempDir again;
  ASSERT_TRUE(WriteFileAtomically(in_.File("config.json"), ReadText(out_.File("config.json"))).ok());
  Status s = WriteFp8Checkpoint(in_.path(), again.path());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("already quantized"), std::string::npos) << s.ToString();
}

TEST(Fp8Targets, AreTheLinearWeights) {
  EXPECT_TRUE(IsFp8Target("model.language_model.layers.0.self_attn.q_proj.weight", 2, false));
  EXPECT_TRUE(IsFp8Target("model.language_model.layers.3.mlp.down_proj.weight", 2, false));
  EXPECT_FALSE(IsFp8Target("model.language_model.layers.0.self_attn.q_proj.bias", 1, false));
  EXPECT_FALSE(IsFp8Target("model.language_model.norm.weight", 1, false));
  EXPECT_FALSE(IsFp8Target("model.language_model.embed_tokens.weight", 2, false));
  EXPECT_FALSE(IsFp8Target("lm_head.weight", 2, true));
  EXPECT_FALSE(IsFp8Target("model.visual.blocks.0.attn.qkv.weight", 2, false));
  EXPECT_TRUE(IsFp8Target("model.visual.blocks.0.attn.qkv.weight", 2, true));
  EXPECT_FALSE(IsFp8Target("model.visual.pos_embed.weight", 2, true));
  EXPECT_FALSE(IsFp8Target("model.visual.patch_embed.proj.weight", 5, true));
}

}  // namespace
}  // namespace corgi
