// Quantized checkpoints end to end at the model layer, for every family: corgi quantize's
// output loads with mmap and computes bitwise what load-time quantization computes; FP8
// checkpoints load as Q8; wrong formats, shapes and methods are clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/fp8_synthetic.h"
#include "corgi/model/quantize_checkpoint.h"
#include "corgi/model/registry.h"
#include "model/synthetic_checkpoint_test_util.h"
#include "core/temp_dir_test_util.h"

namespace corgi {
namespace {

using test_models::FamilyName;
using test_models::FamilyTypes;

// Logits [V] of the last of a few text tokens.
std::vector<float> LastLogits(const LoadedModel& model) {
  const std::vector<int32_t> ids = {9707, 11, 1879, 0, 3555, 374, 419, 30};
  const TextShape& shape = model.text_shape();
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<float> embeds(static_cast<size_t>(n * shape.hidden)), logits(static_cast<size_t>(shape.vocab));
  EXPECT_TRUE(model.Embed(ids, embeds.data(), nullptr).ok());
  std::vector<int32_t> pos(static_cast<size_t>(3 * n));
  for (int a = 0; a < 3; ++a)
    for (int64_t i = 0; i < n; ++i) pos[a * n + i] = static_cast<int32_t>(i);
  KvPagePool kv(shape.layers, shape.kv_heads, shape.head_dim, 16, 1);
  KvSequence seq;
  seq.pages.push_back(kv.Allocate());
  std::unique_ptr<TextScratch> scratch = model.NewTextScratch();
  TextBatch batch;
  batch.embeds = embeds.data();
  batch.positions = pos.data();
  batch.segments = {{&seq, n}};
  const int64_t last[] = {n - 1};
  batch.logit_rows = last;
  EXPECT_TRUE(model.ForwardText(batch, &kv, scratch.get(), logits.data(), nullptr, nullptr).ok());
  return logits;
}

double RelativeError(const std::vector<float>& a, const std::vector<float>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - ref[i]) * (a[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / den);
}

std::unique_ptr<LoadedModel> Load(const std::string& dir, WeightsMode mode) {
  LoadOptions options;
  options.weights = mode;
  StatusOr<std::unique_ptr<LoadedModel>> m = LoadModel(dir, options);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

class QuantizedLoadTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_models::WriteTinyCheckpoint(dir_.path() + "/f", 3, DType::kBF16, GetParam()).ok());
  }
  std::string Float() const { return dir_.path() + "/f"; }
  test_util::TempDir dir_;
};

TEST_P(QuantizedLoadTest, QuantizedCheckpointEqualsLoadTimeQuantization) {
  std::unique_ptr<LoadedModel> reference = Load(Float(), WeightsMode::kAsStored);
  ASSERT_NE(reference, nullptr);
  const std::vector<float> ref = LastLogits(*reference);
  for (auto [mode, name, bound] : {std::tuple{WeightsMode::kQ8, "q8", 0.1}, std::tuple{WeightsMode::kQ4, "q4", 0.6}}) {
    const std::string out = dir_.path() + "/" + name;
    StatusOr<QuantizeReport> report = QuantizeCheckpoint(Float(), out, mode, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_GT(report->tensors_quantized, 0);
    EXPECT_LT(report->bytes_out, report->bytes_in);
    std::unique_ptr<LoadedModel> stored = Load(out, WeightsMode::kAsStored);
    std::unique_ptr<LoadedModel> at_load = Load(Float(), mode);
    ASSERT_NE(stored, nullptr);
    ASSERT_NE(at_load, nullptr);
    EXPECT_NE(stored->weight_formats().find("Q8"), std::string::npos) << stored->weight_formats();
    EXPECT_EQ(stored->weight_formats().find("Q4") != std::string::npos, mode == WeightsMode::kQ4);
    const std::vector<float> a = LastLogits(*stored), b = LastLogits(*at_load);
    EXPECT_EQ(a, b) << name << ": the file and load-time quantization must compute the same";
    const double err = RelativeError(a, ref);
    EXPECT_GT(err, 0.0) << name;
    EXPECT_LT(err, bound) << name;
    // The format it holds may be asked for again; another one is refused.
    EXPECT_NE(Load(out, mode), nullptr);
    LoadOptions other;
    other.weights = mode == WeightsMode::kQ8 ? WeightsMode::kQ4 : WeightsMode::kQ8;
    StatusOr<std::unique_ptr<LoadedModel>> refused = LoadModel(out, other);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().ToString();
  }
  // Quantizing a quantized checkpoint, or into itself, is refused.
  EXPECT_EQ(QuantizeCheckpoint(dir_.path() + "/q8", dir_.path() + "/qq", WeightsMode::kQ4, nullptr).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(QuantizeCheckpoint(Float(), Float(), WeightsMode::kQ4, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(QuantizedLoadTest, Fp8CheckpointRunsAsQ8) {
  const std::string fp8 = dir_.path() + "/fp8";
  ASSERT_TRUE(WriteFp8Checkpoint(Float(), fp8).ok());
  std::unique_ptr<LoadedModel> reference = Load(Float(), WeightsMode::kAsStored);
  std::unique_ptr<LoadedModel> model = Load(fp8, WeightsMode::kAsStored);
  ASSERT_NE(model, nullptr);
  EXPECT_NE(model->weight_formats().find("Q8"), std::string::npos) << model->weight_formats();
  const double err = RelativeError(LastLogits(*model), LastLogits(*reference));
  EXPECT_GT(err, 0.0);
  EXPECT_LT(err, 0.15);
  LoadOptions q4;
  q4.weights = WeightsMode::kQ4;
  EXPECT_EQ(LoadModel(fp8, q4).status().code(), StatusCode::kFailedPrecondition);
  // The exact float values of the FP8 weights (the accuracy reference of an FP8 checkpoint).
  LoadOptions exact;
  exact.dequantize_fp8 = true;
  StatusOr<std::unique_ptr<LoadedModel>> f32 = LoadModel(fp8, exact);
  ASSERT_TRUE(f32.ok()) << f32.status().ToString();
  EXPECT_NE((*f32)->weight_formats().find("F32"), std::string::npos) << (*f32)->weight_formats();
  const double q8_vs_exact = RelativeError(LastLogits(*model), LastLogits(**f32));
  EXPECT_GT(q8_vs_exact, 0.0);
  EXPECT_LT(q8_vs_exact, err) << "running FP8 as Q8 adds less error than FP8 itself";
}

TEST_P(QuantizedLoadTest, BadQuantizedCheckpointsAreClearErrors) {
  const std::string q8 = dir_.path() + "/q8";
  ASSERT_TRUE(QuantizeCheckpoint(Float(), q8, WeightsMode::kQ8, nullptr).ok());
  // Another quantization method.
  {
    const std::string gptq = dir_.path() + "/gptq";
    std::filesystem::copy(q8, gptq);
    StatusOr<std::string> config = ReadFileToString(gptq + "/config.json");
    ASSERT_TRUE(config.ok());
    std::string text = *config;
    const size_t at = text.find("\"corgi\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 7, "\"gptq\"");
    ASSERT_TRUE(WriteFileAtomically(gptq + "/config.json", text).ok());
    StatusOr<std::unique_ptr<LoadedModel>> m = LoadModel(gptq);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kUnimplemented);
    EXPECT_NE(m.status().message().find("gptq"), std::string::npos) << m.status().ToString();
  }
  // The first version's layout (format_version 1): refused, with the way out.
  {
    const std::string v1 = dir_.path() + "/v1";
    std::filesystem::copy(q8, v1);
    StatusOr<std::string> config = ReadFileToString(v1 + "/config.json");
    ASSERT_TRUE(config.ok());
    std::string text = *config;
    const std::string key = "\"format_version\": " + std::to_string(kCorgiFormatVersion);
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, key.size(), "\"format_version\": 1");
    ASSERT_TRUE(WriteFileAtomically(v1 + "/config.json", text).ok());
    StatusOr<std::unique_ptr<LoadedModel>> m = LoadModel(v1);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(m.status().message().find("corgi quantize"), std::string::npos) << m.status().ToString();
  }
  // A packed tensor one row short: the loader names it.
  {
    StatusOr<TensorStore> store = TensorStore::Open(q8);
    ASSERT_TRUE(store.ok());
    std::vector<TensorToWrite> tensors;
    std::string victim;
    for (const TensorInfo& info : store->tensors()) {
      TensorToWrite t;
      t.name = info.name;
      t.dtype = info.dtype;
      t.shape = info.shape;
      if (victim.empty() && info.dtype == DType::kU8) {
        victim = info.name;
        t.shape[0] -= 1;
      }
      const TensorView view = store->View(info);
      const size_t bytes = t.bytes();
      t.fill = [view, bytes](uint8_t* dst) { std::memcpy(dst, view.data, bytes); };
      tensors.push_back(std::move(t));
    }
    ASSERT_FALSE(victim.empty());
    const std::string bad = dir_.path() + "/bad";
    std::filesystem::copy(q8, bad);
    std::filesystem::remove(bad + "/model.safetensors");
    ASSERT_TRUE(WriteCheckpointTensors(bad, tensors, size_t{1} << 40).ok());
    StatusOr<std::unique_ptr<LoadedModel>> m = LoadModel(bad);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.status().message().find(victim), std::string::npos) << m.status().ToString();
    EXPECT_NE(m.status().message().find("packed shape"), std::string::npos) << m.status().ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Families, QuantizedLoadTest, ::testing::ValuesIn(FamilyTypes()), FamilyName());

}  // namespace
}  // namespace corgi
