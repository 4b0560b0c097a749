// Compares corgi's Qwen3-VL forward pass, stage by stage, with Hugging Face transformers
// fixtures (tests/data/golden, made by tools/reference/qwen3vl_reference.py from the same
// synthetic checkpoint this test writes). See tests/data/golden/README.md.
//
// The test runs the engine itself (PreparePrompt, Engine::Generate with a stage
// observer), so the code path under test is the one users run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/image/preprocess.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/model.h"
#include "corgi/model/qwen3vl/positions.h"
#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/synthetic.h"
#include "corgi/model/qwen3vl/text.h"
#include "corgi/model/qwen3vl/vision.h"
#include "corgi/engine.h"
#include "corgi/engine/prompt.h"
#include "model/qwen3vl/npy_reader.h"

namespace corgi {
using namespace qwen3vl;  // NOLINT: the model types this test compares
namespace {

namespace fs = std::filesystem;

const std::string kGolden = CORGI_TEST_DATA "/golden";
const std::string kShared = CORGI_SHARED_DATA;
constexpr int64_t kNewTokens = 16;
const char kRegenerate[] =
    "the synthetic checkpoint differs from the one the fixtures were made from: the generator "
    "(src/model/qwen3vl/synthetic.cc or presets) changed. Regenerate the fixtures: see "
    "tests/data/golden/README.md";

// Float32 stage tolerance, relative to max|ref| of the tensor. Both sides compute in
// float32 but sum in different orders (blocked SIMD dot products vs PyTorch's BLAS), so
// values agree to a few ulps of the largest element: the worst stage measures 2.4e-6.
// 2e-5 is ~8x headroom, and stays well below the subtlest real bug we could think of:
// tanh instead of erf GELU in the mergers moves vision.merger by 1.6e-4 and the logits
// by 2.8e-4 (measured by swapping the activation in transformers).
constexpr double kRelTol = 2e-5;
// bf16 weights vs f32 weights, prefill logits relative to max|logit| of the f32 run.
// Rounding every weight to 8 mantissa bits (relative error up to 2^-9 = 2e-3 each) and
// carrying that through 5 vision blocks, 2 mergers and 3 decoder layers gives a measured
// 1.2e-2 on both cases (two_images 1.22e-2, text_only 1.20e-2); 4e-2 is ~3x headroom.
// A real bf16 bug (a misread dtype, a wrong rounding of the table) lands at O(1).
constexpr double kBf16RelTol = 4e-2;

struct Stage {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct RunResult {
  std::vector<int32_t> input_ids;
  std::vector<ImageGrid> grids;
  std::vector<float> pixel_values;  // [Np, patch_dim]
  int64_t patch_dim = 0;
  int64_t rope_delta = 0;
  std::map<std::string, Stage> stages;
  std::vector<int32_t> tokens;
};

// One user message as the fixture's meta.json lists it: text parts and image files.
struct Part {
  bool is_image = false;
  std::string value;  // the text, or the image's absolute path
};

StatusOr<std::vector<Part>> PartsOf(const nlohmann::json& meta, const std::string& name) {
  std::vector<Part> parts;
  try {
    for (const auto& p : meta.at("cases").at(name).at("parts")) {
      if (p.contains("text")) {
        parts.push_back({false, p.at("text").get<std::string>()});
      } else {
        const std::string root = p.at("root") == "shared" ? kShared : kGolden;
        parts.push_back({true, root + "/" + p.at("image").get<std::string>()});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(std::string("meta.json: ") + e.what());
  }
  return parts;
}

int32_t Argmax(const std::vector<float>& logits, int64_t n) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.begin() + n) -
                              logits.begin());
}

// Runs the case through the engine itself: PreparePrompt for the inputs, then
// Engine::Generate (greedy, EOS ignored, kNewTokens tokens) with every stage observed.
// A small prefill chunk makes image tokens and DeepStack rows cross chunk boundaries.
StatusOr<RunResult> RunModel(const Model& model, const std::vector<Part>& parts, ThreadPool* pool) {
  RunResult r;
  std::vector<ContentPart> content;
  for (const Part& part : parts) {
    if (!part.is_image) {
      content.push_back(ContentPart::Text(part.value));
      continue;
    }
    DecodeOptions decode;
    decode.apply_exif_orientation = false;  // as Hugging Face
    CORGI_ASSIGN_OR_RETURN(RgbImage rgb, DecodeImageFile(part.value, decode));
    content.push_back(ContentPart::Image(std::move(rgb)));
  }
  Request request;
  request.messages = {Message::User(std::move(content))};
  CORGI_ASSIGN_OR_RETURN(PreparedPrompt prompt, PreparePrompt(model, request.messages, *model.PreprocessParams(), pool));
  r.input_ids = prompt.tokens;
  r.grids = prompt.grids;
  r.pixel_values = prompt.pixel_values;
  r.patch_dim = model.config().vision.in_channels * model.config().vision.temporal_patch_size *
                model.config().vision.patch_size * model.config().vision.patch_size;
  r.rope_delta = prompt.positions.rope_delta;

  const StageObserver observer = [&r](const std::string& name, const float* data,
                                      const Shape& shape) {
    Stage s;
    for (int i = 0; i < shape.rank(); ++i) s.shape.push_back(shape[i]);
    s.data.assign(data, data + shape.numel());
    r.stages[name] = std::move(s);
  };
  request.max_tokens = kNewTokens;
  request.ignore_eos = true;
  request.observer = &observer;
  EngineOptions options;
  options.threads = 2;
  options.max_context = 512;
  options.prefill_chunk = 48;
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(&model, options));
  CORGI_ASSIGN_OR_RETURN(Completion c, engine->Generate(request));
  r.tokens = c.tokens;
  return r;
}

struct Error {
  double max_abs = 0, max_ref = 0;
  double rel() const { return max_ref > 0 ? max_abs / max_ref : max_abs; }
};

Error Compare(const std::vector<float>& got, const std::vector<float>& ref) {
  Error e;
  for (size_t i = 0; i < ref.size(); ++i) {
    e.max_ref = std::max(e.max_ref, std::fabs(static_cast<double>(ref[i])));
    e.max_abs = std::max(e.max_abs, std::fabs(static_cast<double>(got[i]) - ref[i]));
  }
  return e;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// The fixture stages present for a case, in forward order.
std::vector<std::string> StageNames(bool has_images, int64_t vision_depth, int64_t deepstack,
                                    int64_t layers) {
  std::vector<std::string> names;
  if (has_images) {
    names = {"vision.patch_embed", "vision.pos_embed"};
    for (int64_t i = 0; i < vision_depth; ++i)
      names.push_back("vision.block" + std::to_string(i) + ".out");
    for (int64_t k = 0; k < deepstack; ++k) names.push_back("vision.deepstack" + std::to_string(k));
    names.push_back("vision.merger");
  }
  names.push_back("text.positions");
  names.push_back("text.embeds");
  for (int64_t i = 0; i < layers; ++i) names.push_back("text.layer" + std::to_string(i) + ".out");
  names.push_back("text.norm");
  names.push_back("logits.prefill_last");
  return names;
}

std::vector<int64_t> ReadInts(const std::string& path) {
  StatusOr<NpyArray> a = ReadNpyFile(path);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? a->ints : std::vector<int64_t>{};
}

class GoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new std::string(fs::temp_directory_path() / ("corgi_golden_" + std::to_string(::getpid())));
    pool_ = new ThreadPool(2);
    StatusOr<std::string> text = ReadFileToString(kGolden + "/meta.json");
    if (text.ok())
      meta_ = new nlohmann::json(nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false));
  }
  static void TearDownTestSuite() {
    for (auto* m : {&f32_, &bf16_}) {
      delete *m;
      *m = nullptr;
    }
    delete runs_;
    runs_ = nullptr;
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete pool_;
    delete meta_;
  }

  // Writes (once) and loads the tiny seed-0 checkpoint in `dtype`.
  static const Model* LoadModel(DType dtype) {
    Model** slot = dtype == DType::kF32 ? &f32_ : &bf16_;
    if (*slot != nullptr) return *slot;
    const std::string dir = *dir_ + (dtype == DType::kF32 ? "/f32" : "/bf16");
    SyntheticOptions options;
    options.seed = 0;
    options.dtype = dtype;
    options.tokenizer_source = kShared + "/tokenizer";
    Status s = WriteSyntheticCheckpoint(*PresetConfig("tiny"), options, dir, nullptr);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return nullptr;
    StatusOr<std::unique_ptr<Model>> m = Model::Load(dir);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return nullptr;
    *slot = m->release();
    return *slot;
  }

  // The float32 run of a fixture case (cached: the bf16 test reuses it).
  static const RunResult* F32Run(const std::string& name) {
    if (runs_ == nullptr) runs_ = new std::map<std::string, RunResult>;
    if (runs_->count(name)) return &runs_->at(name);
    const Model* model = LoadModel(DType::kF32);
    if (model == nullptr || meta_ == nullptr || meta_->is_discarded()) return nullptr;
    StatusOr<std::vector<Part>> parts = PartsOf(*meta_, name);
    EXPECT_TRUE(parts.ok()) << parts.status().ToString();
    if (!parts.ok()) return nullptr;
    StatusOr<RunResult> r = RunModel(*model, *parts, pool_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    (*runs_)[name] = std::move(*r);
    return &runs_->at(name);
  }

  void CheckInputs(const std::string& name, const RunResult& r);
  void CheckStages(const std::string& name, const RunResult& r);
  void CheckCase(const std::string& name);

  static inline std::string* dir_ = nullptr;
  static inline ThreadPool* pool_ = nullptr;
  static inline nlohmann::json* meta_ = nullptr;
  static inline Model* f32_ = nullptr;
  static inline Model* bf16_ = nullptr;
  static inline std::map<std::string, RunResult>* runs_ = nullptr;
};

// input_ids, grids, positions and rope delta exactly; the pixel summary to float rounding.
void GoldenTest::CheckInputs(const std::string& name, const RunResult& r) {
  const std::string dir = kGolden + "/" + name + "/";
  std::vector<int64_t> ids = ReadInts(dir + "input_ids.npy");
  EXPECT_EQ(std::vector<int64_t>(r.input_ids.begin(), r.input_ids.end()), ids)
      << name << ": input_ids differ";
  EXPECT_EQ(ReadInts(dir + "rope_delta.npy"), std::vector<int64_t>{r.rope_delta}) << name;
  if (r.grids.empty()) {
    EXPECT_FALSE(fs::exists(dir + "image_grid_thw.npy")) << name;
    return;
  }
  std::vector<int64_t> grid;
  for (const ImageGrid& g : r.grids) grid.insert(grid.end(), {g.t, g.h, g.w});
  EXPECT_EQ(grid, ReadInts(dir + "image_grid_thw.npy")) << name;
  StatusOr<NpyArray> head = ReadNpyFile(dir + "pixel_values.head.npy");
  StatusOr<NpyArray> sums = ReadNpyFile(dir + "pixel_values.row_sums.npy");
  ASSERT_TRUE(head.ok() && sums.ok()) << head.status().ToString() << sums.status().ToString();
  ASSERT_EQ(head->numel(), 4 * r.patch_dim);
  const int64_t rows = static_cast<int64_t>(r.pixel_values.size()) / r.patch_dim;
  ASSERT_EQ(sums->numel(), rows) << name << ": patch count differs";
  // Same uint8 pixels (no resize) and the same fused (x - 127.5) / 127.5: bit-identical.
  Error e =
      Compare(std::vector<float>(r.pixel_values.begin(), r.pixel_values.begin() + 4 * r.patch_dim),
              head->f32);
  EXPECT_EQ(e.max_abs, 0.0) << name << ": pixel_values rows 0-3 differ";
  std::vector<float> row_sums(rows);
  for (int64_t i = 0; i < rows; ++i) {
    double s = 0;
    for (int64_t j = 0; j < r.patch_dim; ++j) s += r.pixel_values[i * r.patch_dim + j];
    row_sums[i] = static_cast<float>(s);
  }
  e = Compare(row_sums, sums->f32);
  EXPECT_LE(e.max_abs, 1e-3) << name << ": pixel_values row sums differ (max " << e.max_abs << ")";
}

// Every stage within kRelTol (positions exactly), with a table of errors on stdout.
void GoldenTest::CheckStages(const std::string& name, const RunResult& r) {
  const ModelConfig& c = f32_->config();
  const auto names = StageNames(!r.grids.empty(), c.vision.depth,
                                static_cast<int64_t>(c.vision.deepstack_visual_indexes.size()),
                                c.text.num_hidden_layers);
  std::printf("%-12s %-22s %-12s %12s %12s %12s\n", "case", "stage", "shape", "max|err|",
              "max|ref|", "rel");
  for (const std::string& stage : names) {
    StatusOr<NpyArray> ref = ReadNpyFile(kGolden + "/" + name + "/" + stage + ".npy");
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    auto it = r.stages.find(stage);
    ASSERT_NE(it, r.stages.end()) << name << ": corgi did not emit " << stage;
    ASSERT_EQ(it->second.shape, ref->shape)
        << name << " " << stage << ": shape " << ShapeText(it->second.shape) << " vs reference "
        << ShapeText(ref->shape);
    const Error e = Compare(it->second.data, ref->f32);
    std::printf("%-12s %-22s %-12s %12.3e %12.3e %12.3e\n", name.c_str(), stage.c_str(),
                ShapeText(ref->shape).c_str(), e.max_abs, e.max_ref, e.rel());
    if (stage == "text.positions") {
      EXPECT_EQ(e.max_abs, 0.0) << name << ": M-RoPE positions differ";
    } else {
      EXPECT_LE(e.rel(), kRelTol) << name << " " << stage << ": max|err| " << e.max_abs
                                  << " of max|ref| " << e.max_ref;
    }
  }
  std::fflush(stdout);
}

void GoldenTest::CheckCase(const std::string& name) {
  ASSERT_TRUE(meta_ != nullptr && !meta_->is_discarded())
      << "cannot read " << kGolden << "/meta.json";
  const RunResult* r = F32Run(name);
  ASSERT_NE(r, nullptr);
  CheckInputs(name, *r);
  CheckStages(name, *r);
  std::vector<int64_t> tokens = ReadInts(kGolden + "/" + name + "/generated_tokens.npy");
  EXPECT_EQ(std::vector<int64_t>(r->tokens.begin(), r->tokens.end()), tokens)
      << name << ": the " << kNewTokens << " greedy tokens differ";
}

TEST_F(GoldenTest, CheckpointIsTheFixturesCheckpoint) {
  ASSERT_TRUE(meta_ != nullptr && !meta_->is_discarded())
      << "cannot read " << kGolden << "/meta.json";
  ASSERT_NE(LoadModel(DType::kF32), nullptr);
  const std::string file = *dir_ + "/f32/model.safetensors";
  ASSERT_EQ(static_cast<int64_t>(fs::file_size(file)),
            meta_->value("model_safetensors_bytes", int64_t{-1}))
      << kRegenerate;
  StatusOr<TensorStore> store = TensorStore::Open(file);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const nlohmann::json& probe = (*meta_)["checkpoint_probe"];
  ASSERT_EQ(probe.size(), store->tensors().size()) << kRegenerate;
  for (const TensorInfo& info : store->tensors()) {
    ASSERT_TRUE(probe.contains(info.name)) << info.name << ": " << kRegenerate;
    ASSERT_EQ(info.dtype, DType::kF32);
    const TensorView v = store->View(info);
    const float* x = v.as<float>();
    const int64_t n = info.shape.numel();
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += x[i];
    const auto& p = probe[info.name];
    EXPECT_EQ(x[0], p[0].get<float>()) << info.name << ": " << kRegenerate;
    EXPECT_EQ(x[n - 1], p[1].get<float>()) << info.name << ": " << kRegenerate;
    EXPECT_NEAR(sum, p[2].get<double>(), 1e-9 * n) << info.name << ": " << kRegenerate;
  }
}

TEST_F(GoldenTest, TwoImagesMatchTransformers) { CheckCase("two_images"); }

TEST_F(GoldenTest, TextOnlyMatchesTransformers) { CheckCase("text_only"); }

// The same seed written in bf16 (weights rounded to 8 mantissa bits; corgi still
// computes in float32) must stay close to the float32 logits and agree on the top-1
// prefill token. Error is relative to max|logit| of the f32 run. See the bound below.
TEST_F(GoldenTest, Bf16LogitsNearF32) {
  ASSERT_TRUE(meta_ != nullptr && !meta_->is_discarded());
  const Model* bf16 = LoadModel(DType::kBF16);
  ASSERT_NE(bf16, nullptr);
  for (const std::string name : {"two_images", "text_only"}) {
    const RunResult* f32 = F32Run(name);
    ASSERT_NE(f32, nullptr);
    StatusOr<std::vector<Part>> parts = PartsOf(*meta_, name);
    ASSERT_TRUE(parts.ok());
    StatusOr<RunResult> r = RunModel(*bf16, *parts, pool_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::vector<float>& a = f32->stages.at("logits.prefill_last").data;
    const std::vector<float>& b = r->stages.at("logits.prefill_last").data;
    const Error e = Compare(b, a);
    std::printf(
        "bf16 vs f32 %-12s logits max|err| %.3e max|ref| %.3e rel %.3e; tokens agree %d/%lld\n",
        name.c_str(), e.max_abs, e.max_ref, e.rel(),
        static_cast<int>(
            std::mismatch(r->tokens.begin(), r->tokens.end(), f32->tokens.begin()).first -
            r->tokens.begin()),
        static_cast<long long>(kNewTokens));
    EXPECT_LE(e.rel(), kBf16RelTol) << name;
    EXPECT_EQ(Argmax(b, bf16->sampleable_vocab()), Argmax(a, f32_->sampleable_vocab())) << name;
  }
}

}  // namespace
}  // namespace corgi
