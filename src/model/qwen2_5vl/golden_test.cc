// Compares corgi's Qwen2.5-VL forward pass, stage by stage, with Hugging Face
// transformers fixtures (tests/data/golden_qwen2_5vl; see its README.md). The fixtures
// hold their own tiny checkpoint (hf_tiny_checkpoint, made by transformers), so this test
// loads it (with the tokenizer files from shared/data), renders each case's chat, preprocesses its
// images, and runs the model-layer calls the engine makes: RenderChat, PreprocessParams,
// ComputePositions, EncodeImages, Embed, ForwardText (one prefill, then greedy decode steps).
//
// Skipped when the fixtures are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/temp_dir_test_util.h"
#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/image/preprocess.h"
#include "corgi/model/qwen2_5vl/model.h"
#include "corgi/model/qwen2_5vl/positions.h"
#include "model/npy_reader.h"

namespace corgi::qwen2_5vl {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = CORGI_TEST_DATA "/golden_qwen2_5vl";
const std::string kCases = kFixtures + "/hf_tiny";

// Float32 stage tolerance relative to max|ref| of the tensor, as the Qwen3-VL golden test:
// both sides compute in float32 and differ only in summation order.
constexpr double kRelTol = 2e-5;

struct Stage {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct RunResult {
  std::vector<int32_t> input_ids;
  std::vector<ImageGrid> grids;
  std::vector<float> pixel_values;
  WindowLayout windows;
  TextPositions positions;
  std::map<std::string, Stage> stages;
  std::vector<int32_t> tokens;
};

void Keep(std::map<std::string, Stage>* stages, const std::string& name, const float* data,
          const Shape& shape) {
  Stage s;
  for (int i = 0; i < shape.rank(); ++i) s.shape.push_back(shape[i]);
  s.data.assign(data, data + shape.numel());
  (*stages)[name] = std::move(s);
}

// Runs one case of meta.json as the engine would, greedy for `new_tokens` tokens.
StatusOr<RunResult> RunCase(const Model& model, const nlohmann::json& c, int64_t new_tokens,
                            ThreadPool* pool) {
  RunResult r;
  CORGI_ASSIGN_OR_RETURN(VisionPreprocessParams params, model.PreprocessParams());
  std::vector<ChatMessage> chat;
  if (c.contains("system") && c.at("system").is_string())
    chat.push_back({"system", {ChatContent::Text(c.at("system").get<std::string>())}});
  ChatMessage user{"user", {}};
  for (const auto& part : c.at("parts")) {
    if (part.contains("text")) {
      user.content.push_back(ChatContent::Text(part.at("text").get<std::string>()));
      continue;
    }
    DecodeOptions decode;
    decode.apply_exif_orientation = false;  // as Hugging Face
    CORGI_ASSIGN_OR_RETURN(
        RgbImage rgb,
        DecodeImageFile(kFixtures + "/" + part.at("image").get<std::string>(), decode));
    CORGI_ASSIGN_OR_RETURN(PreprocessedImage pre, PreprocessImage(rgb, params));
    r.grids.push_back({pre.grid_t, pre.grid_h, pre.grid_w});
    r.pixel_values.insert(r.pixel_values.end(), pre.pixel_values.begin(), pre.pixel_values.end());
    user.content.push_back(ChatContent::Image(pre.num_merged_tokens()));
  }
  chat.push_back(user);
  CORGI_ASSIGN_OR_RETURN(r.input_ids, model.RenderChat(chat));
  CORGI_ASSIGN_OR_RETURN(r.positions, model.ComputePositions(r.input_ids, r.grids));
  const StageObserver observer = [&r](const std::string& name, const float* data,
                                      const Shape& shape) { Keep(&r.stages, name, data, shape); };
  const int64_t s = static_cast<int64_t>(r.input_ids.size()), d = model.text_shape().hidden;
  std::vector<float> embeds(s * d);
  CORGI_RETURN_IF_ERROR(model.Embed(r.input_ids, embeds.data(), pool));
  if (!r.grids.empty()) {
    const ModelConfig& config = model.config();
    r.windows =
        MakeWindowLayout(r.grids, config.vision.spatial_merge_size, config.vision.window_merged());
    CORGI_ASSIGN_OR_RETURN(VisionOutput vision,
                           model.EncodeImages(r.pixel_values.data(), r.grids, pool, &observer));
    int64_t next = 0;
    for (int64_t i = 0; i < s; ++i) {
      if (r.input_ids[i] != model.image_token_id()) continue;
      std::copy_n(vision.embeds.data() + next++ * d, d, embeds.data() + i * d);
    }
  }
  std::vector<float> positions(r.positions.ids.begin(), r.positions.ids.end());
  Keep(&r.stages, "text.positions", positions.data(), Shape{3, s});

  const int64_t vocab = model.text_shape().vocab;
  KvPagePool kv(model.text_shape().layers, model.text_shape().kv_heads, model.text_shape().head_dim, 64, 16);
  KvSequence seq;
  while (static_cast<int64_t>(seq.pages.size()) * 64 < s + new_tokens)
    seq.pages.push_back(kv.Allocate());
  std::unique_ptr<corgi::TextScratch> scratch = model.NewTextScratch();
  std::vector<float> logits(vocab);
  const int64_t last = s - 1;
  TextBatch batch;
  batch.embeds = embeds.data();
  batch.positions = r.positions.ids.data();
  batch.segments = {{&seq, s}};
  batch.logit_rows = std::span(&last, 1);
  CORGI_RETURN_IF_ERROR(
      model.ForwardText(batch, &kv, scratch.get(), logits.data(), pool, &observer));
  Keep(&r.stages, "logits.prefill_last", logits.data(), Shape{1, vocab});
  // Greedy decode; ids past the tokenizer are embedding padding, never sampled.
  const int64_t zero = 0;
  for (int64_t n = 0; n < new_tokens; ++n) {
    const int32_t next = static_cast<int32_t>(
        std::max_element(logits.begin(), logits.begin() + model.sampleable_vocab()) -
        logits.begin());
    r.tokens.push_back(next);
    if (n + 1 == new_tokens) break;
    std::vector<float> embed(d);
    CORGI_RETURN_IF_ERROR(model.Embed(std::span(&next, 1), embed.data(), pool));
    const int32_t p = static_cast<int32_t>(s + n + r.positions.rope_delta);
    const int32_t pos[3] = {p, p, p};
    TextBatch step;
    step.embeds = embed.data();
    step.positions = pos;
    step.segments = {{&seq, 1}};
    step.logit_rows = std::span(&zero, 1);
    CORGI_RETURN_IF_ERROR(
        model.ForwardText(step, &kv, scratch.get(), logits.data(), pool, nullptr));
  }
  return r;
}

std::vector<int64_t> Ints(const std::string& path) {
  StatusOr<NpyArray> a = ReadNpyFile(path);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? a->ints : std::vector<int64_t>{};
}

double MaxAbs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
  return m;
}

class Qwen25Golden : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    // Skipped only while the fixture folder is absent; a folder without the expected files
    // fails below, so a changed layout is noticed.
    if (!fs::exists(kFixtures)) return;
    // The committed checkpoint lacks the (large) tokenizer files: complete a copy.
    dir_ = new test_util::TempDir();
    std::error_code ec;
    fs::copy(kFixtures + "/hf_tiny_checkpoint", dir_->path(),
             fs::copy_options::overwrite_existing | fs::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << ec.message();
    const std::string tokenizer =
        std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen2.5-vl-7b-instruct/";
    for (const char* file : {"tokenizer.json", "vocab.json", "merges.txt"}) {
      if (!fs::exists(dir_->File(file))) fs::copy_file(tokenizer + file, dir_->File(file), ec);
      ASSERT_FALSE(ec) << file << ": " << ec.message();
    }
    StatusOr<std::unique_ptr<Model>> m = Model::Load(dir_->path());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = m->release();
    StatusOr<std::string> text = ReadFileToString(kCases + "/meta.json");
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    meta_ = new nlohmann::json(nlohmann::json::parse(*text));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete meta_;
    delete dir_;
    model_ = nullptr;
    meta_ = nullptr;
    dir_ = nullptr;
  }
  static inline test_util::TempDir* dir_ = nullptr;
  static inline Model* model_ = nullptr;
  static inline nlohmann::json* meta_ = nullptr;
};

TEST_P(Qwen25Golden, MatchesTransformers) {
  if (!fs::exists(kFixtures)) GTEST_SKIP() << "no fixtures at " << kFixtures;
  ASSERT_NE(model_, nullptr);
  const std::string name = GetParam();
  const std::string dir = kCases + "/" + name + "/";
  ASSERT_TRUE(meta_->at("cases").contains(name)) << "meta.json lacks case " << name;
  const nlohmann::json& c = meta_->at("cases").at(name);
  const int64_t new_tokens = meta_->value("new_tokens", 16);
  ThreadPool pool(2);
  StatusOr<RunResult> run = RunCase(*model_, c, new_tokens, &pool);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const RunResult& r = *run;

  // Inputs exactly: ids (the chat template with its default system turn), grids, the
  // window layout, positions and the rope delta; pixels to float rounding.
  EXPECT_EQ(std::vector<int64_t>(r.input_ids.begin(), r.input_ids.end()),
            Ints(dir + "input_ids.npy"));
  EXPECT_EQ(Ints(dir + "rope_delta.npy"), std::vector<int64_t>{r.positions.rope_delta});
  if (!r.grids.empty()) {
    std::vector<int64_t> grid;
    for (const ImageGrid& g : r.grids) grid.insert(grid.end(), {g.t, g.h, g.w});
    EXPECT_EQ(grid, Ints(dir + "image_grid_thw.npy"));
    EXPECT_EQ(r.windows.order, Ints(dir + "vision.window_index.npy"));
    EXPECT_EQ(r.windows.cu_windows, Ints(dir + "vision.cu_window_seqlens.npy"));
    StatusOr<NpyArray> sums = ReadNpyFile(dir + "pixel_values.row_sums.npy");
    ASSERT_TRUE(sums.ok()) << sums.status().ToString();
    const int64_t rows = sums->numel(),
                  width = static_cast<int64_t>(r.pixel_values.size()) / std::max<int64_t>(rows, 1);
    ASSERT_EQ(rows * width, static_cast<int64_t>(r.pixel_values.size()));
    double worst = 0;
    for (int64_t i = 0; i < rows; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < width; ++j) sum += r.pixel_values[i * width + j];
      worst = std::max(worst, std::fabs(sum - sums->f32[i]));
    }
    EXPECT_LE(worst, 1e-3) << "pixel_values row sums";
  }

  // Every stage the fixture holds.
  std::printf("%-18s %-22s %12s %12s %12s\n", "case", "stage", "max|err|", "max|ref|", "rel");
  for (const auto& [stage, ours] : r.stages) {
    const std::string path = dir + stage + ".npy";
    if (!fs::exists(path)) continue;
    StatusOr<NpyArray> ref = ReadNpyFile(path);
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    ASSERT_EQ(ours.shape, ref->shape) << stage;
    std::vector<float> want = ref->f32;
    if (want.empty()) want.assign(ref->ints.begin(), ref->ints.end());
    double err = 0;
    for (size_t i = 0; i < want.size(); ++i)
      err = std::max(err, std::fabs(double(ours.data[i]) - want[i]));
    const double max_ref = MaxAbs(want), rel = max_ref > 0 ? err / max_ref : err;
    std::printf("%-18s %-22s %12.3e %12.3e %12.3e\n", name.c_str(), stage.c_str(), err, max_ref,
                rel);
    if (stage == "text.positions") {
      EXPECT_EQ(err, 0.0) << stage;
    } else {
      EXPECT_LE(rel, kRelTol) << stage << ": max|err| " << err << " of max|ref| " << max_ref;
    }
  }
  std::vector<int64_t> tokens(r.tokens.begin(), r.tokens.end());
  EXPECT_EQ(tokens, Ints(dir + "generated_tokens.npy"));
}

INSTANTIATE_TEST_SUITE_P(Cases, Qwen25Golden,
                         ::testing::Values("text_only", "one_image_system", "two_images"));

}  // namespace
}  // namespace corgi::qwen2_5vl
