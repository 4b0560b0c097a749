// Compares corgi's forward pass, stage by stage, with Hugging Face transformers fixtures,
// for every model family: each fixture set is a folder of cases (made by a script under
// tools/reference/) plus the checkpoint they came from — either one corgi's make-model
// writes again here, or one transformers itself built and saved (committed), so loading
// does not depend on corgi's own writer. See tests/data/golden*/README.md.
//
// The test is data-driven: a case lists its prompt parts and the stages it saved, and the
// engine itself runs it (PreparePrompt, Engine::Generate with a stage observer), so the
// code path under test is the one users run and no family is named here.
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

#include "corgi/backend/ops.h"
#include "corgi/core/mapped_file.h"
#include "corgi/engine.h"
#include "corgi/engine/prompt.h"
#include "corgi/image/decode.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/registry.h"
#include "model/npy_reader.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

const std::string kData = CORGI_TEST_DATA;
const std::string kShared = CORGI_SHARED_DATA;

// Float32 stage tolerance, relative to max|ref| of the tensor. Both sides compute in
// float32 but sum in different orders (blocked SIMD dot products vs PyTorch's BLAS), so
// values agree to a few ulps of the largest element: the worst stage measures 2.4e-6
// (Qwen3-VL) and 3e-6 (Qwen2.5-VL). 2e-5 is ~8x headroom, and stays well below the
// subtlest real bug we could think of: tanh instead of erf GELU in the mergers moves
// vision.merger by 1.6e-4 and the logits by 2.8e-4 (measured by swapping the activation
// in transformers).
constexpr double kRelTol = 2e-5;
// The bound for the logits.
constexpr double kLogitsRelTol = 1e-5;
// bf16 weights vs f32 weights, prefill logits relative to max|logit| of the f32 run.
// Rounding every weight to 8 mantissa bits (relative error up to 2^-9 = 2e-3 each) and
// carrying that through 5 vision blocks, 2 mergers and 3 decoder layers gives a measured
// 1.2e-2 on Qwen3-VL's tiny checkpoint; 4e-2 is ~3x headroom. A real bf16 bug (a misread
// dtype, a wrong rounding of the table) lands at O(1).
constexpr double kBf16RelTol = 4e-2;

// One set of fixtures and the checkpoint they belong to.
struct FixtureSet {
  std::string name;        // test label
  std::string dir;         // under tests/data: meta.json and one folder per case
  std::string model_type;  // the family
  // Empty: `corgi make-model --family model_type --preset tiny --seed 0 --dtype f32`,
  // written here. Otherwise a committed checkpoint folder under tests/data, completed
  // with the tokenizer files from shared/data/tokenizer/<tokenizer>.
  std::string checkpoint;
  std::string tokenizer;
};

const std::vector<FixtureSet>& FixtureSets() {
  static const std::vector<FixtureSet> sets = {
      {"Qwen3VlCorgiTiny", "golden", "qwen3_vl", "", ""},
      {"Qwen25VlTransformersTiny", "golden_qwen2_5vl/hf_tiny", "qwen2_5_vl", "golden_qwen2_5vl/hf_tiny_checkpoint",
       "qwen2.5-vl-7b-instruct"},
      {"Qwen25VlCorgiTiny", "golden_qwen2_5vl/corgi_tiny", "qwen2_5_vl", "", ""},
  };
  return sets;
}

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

// A case's prompt: an optional system message, then one user message of text and images.
struct Case {
  std::string system;
  std::vector<std::pair<bool, std::string>> parts;  // (is image, text or image path)
  std::vector<std::string> stages;
};

StatusOr<Case> CaseOf(const nlohmann::json& meta, const std::string& name, const std::string& set_dir) {
  Case c;
  try {
    const nlohmann::json& j = meta.at("cases").at(name);
    if (j.contains("system") && j.at("system").is_string()) c.system = j.at("system").get<std::string>();  // null: none
    for (const auto& p : j.at("parts")) {
      if (p.contains("text")) {
        c.parts.emplace_back(false, p.at("text").get<std::string>());
        continue;
      }
      const std::string image = p.at("image").get<std::string>();
      const std::string root = p.value("root", "");
      // Images sit in the set's folder or its parent (shared by a family's sets).
      std::string path = root == "shared" ? kShared + "/" + image : set_dir + "/" + image;
      if (root != "shared" && !fs::exists(path)) path = fs::path(set_dir).parent_path() / image;
      c.parts.emplace_back(true, path);
    }
    const nlohmann::json& stages = j.at("stages");
    if (stages.is_object()) {
      for (const auto& [stage, shape] : stages.items()) c.stages.push_back(stage);
    } else {
      for (const auto& stage : stages) c.stages.push_back(stage.get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(std::string("meta.json: ") + e.what());
  }
  return c;
}

int32_t Argmax(const std::vector<float>& logits, int64_t n) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.begin() + n) - logits.begin());
}

// Runs the case through the engine itself: PreparePrompt for the inputs, then
// Engine::Generate (greedy, EOS ignored, `new_tokens` tokens) with every stage observed.
// A small prefill chunk makes image tokens and DeepStack rows cross chunk boundaries.
StatusOr<RunResult> RunModel(const LoadedModel& model, const Case& c, int64_t new_tokens, ThreadPool* pool) {
  RunResult r;
  std::vector<ContentPart> content;
  for (const auto& [is_image, value] : c.parts) {
    if (!is_image) {
      content.push_back(ContentPart::Text(value));
      continue;
    }
    DecodeOptions decode;
    decode.apply_exif_orientation = false;  // as Hugging Face
    CORGI_ASSIGN_OR_RETURN(RgbImage rgb, DecodeImageFile(value, decode));
    content.push_back(ContentPart::Image(std::move(rgb)));
  }
  Request request;
  if (!c.system.empty()) request.messages.push_back(Message::System(c.system));
  request.messages.push_back(Message::User(std::move(content)));
  CORGI_ASSIGN_OR_RETURN(const VisionPreprocessParams params, model.PreprocessParams());
  CORGI_ASSIGN_OR_RETURN(PreparedPrompt prompt, PreparePrompt(model, request.messages, params, pool));
  r.input_ids = prompt.tokens;
  r.grids = prompt.grids;
  r.pixel_values = prompt.pixel_values;
  int64_t patches = 0;
  for (const ImageGrid& g : r.grids) patches += g.patches();
  r.patch_dim = patches > 0 ? static_cast<int64_t>(r.pixel_values.size()) / patches : 0;
  r.rope_delta = prompt.positions.rope_delta;

  const StageObserver observer = [&r](const std::string& name, const float* data, const Shape& shape) {
    Stage s;
    for (int i = 0; i < shape.rank(); ++i) s.shape.push_back(shape[i]);
    s.data.assign(data, data + shape.numel());
    r.stages[name] = std::move(s);
  };
  request.max_tokens = new_tokens;
  request.ignore_eos = true;
  request.observer = &observer;
  EngineOptions options;
  options.threads = 2;
  options.max_context = 512;
  options.prefill_chunk = 48;
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(&model, options));
  CORGI_ASSIGN_OR_RETURN(Completion done, engine->Generate(request));
  r.tokens = done.tokens;
  return r;
}

struct Error {
  double max_abs = 0, max_ref = 0;
  double rel() const { return max_ref > 0 ? max_abs / max_ref : max_abs; }
};

Error Compare(const std::vector<float>& got, const std::vector<float>& ref) {
  Error e;
  for (size_t i = 0; i < ref.size() && i < got.size(); ++i) {
    e.max_ref = std::max(e.max_ref, std::fabs(static_cast<double>(ref[i])));
    e.max_abs = std::max(e.max_abs, std::fabs(static_cast<double>(got[i]) - ref[i]));
  }
  return e;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i > 0 ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// An array as float32 (integer fixtures such as positions widened).
std::vector<float> AsFloats(const NpyArray& a) {
  if (a.dtype == NpyDType::kF32) return a.f32;
  return std::vector<float>(a.ints.begin(), a.ints.end());
}

std::vector<int64_t> ReadInts(const std::string& path) {
  StatusOr<NpyArray> a = ReadNpyFile(path);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? a->ints : std::vector<int64_t>{};
}

// Copies the committed checkpoint and the tokenizer files it needs into `dir`.
Status AssembleCommittedCheckpoint(const FixtureSet& set, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::copy(kData + "/" + set.checkpoint, dir, fs::copy_options::overwrite_existing | fs::copy_options::recursive, ec);
  if (ec) return IoError("copying " + set.checkpoint + ": " + ec.message());
  for (const char* file : {"tokenizer.json", "vocab.json", "merges.txt"}) {
    const std::string from = kShared + "/tokenizer/" + set.tokenizer + "/" + file;
    if (!fs::exists(dir + "/" + file)) fs::copy_file(from, dir + "/" + file, ec);
    if (ec) return IoError("copying " + from + ": " + ec.message());
  }
  return Status::Ok();
}

class GoldenTest : public ::testing::TestWithParam<FixtureSet> {
 protected:
  void SetUp() override {
    const FixtureSet& set = GetParam();
    set_dir_ = kData + "/" + set.dir;
    ASSERT_TRUE(fs::exists(set_dir_ + "/meta.json")) << "no fixtures at " << set_dir_;
    ASSERT_TRUE(FindModelFamily(set.model_type).ok()) << set.model_type << " is not registered";
    StatusOr<std::string> text = ReadFileToString(set_dir_ + "/meta.json");
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    meta_ = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(meta_.is_discarded()) << set_dir_ << "/meta.json is not JSON";
    pool_ = std::move(ThreadPool::Create(2)).value();
  }

  static std::string Scratch() {
    static const std::string dir = fs::temp_directory_path() / ("corgi_golden_" + std::to_string(::getpid()));
    return dir;
  }

  // The set's checkpoint in `dtype` (cached across the set's tests).
  const LoadedModel* Model(DType dtype) {
    const FixtureSet& set = GetParam();
    const std::string key = set.name + (dtype == DType::kF32 ? "/f32" : "/bf16");
    auto& slot = Models()[key];
    if (slot != nullptr) return slot.get();
    const std::string dir = Scratch() + "/" + key;
    Status s = set.checkpoint.empty() ? test_models::WriteTinyCheckpoint(dir, /*seed=*/0, dtype, set.model_type)
                                      : AssembleCommittedCheckpoint(set, dir);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return nullptr;
    StatusOr<std::unique_ptr<LoadedModel>> m = LoadModel(dir);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return nullptr;
    slot = std::move(*m);
    return slot.get();
  }

  std::string ModelDir(DType dtype) const {
    return Scratch() + "/" + GetParam().name + (dtype == DType::kF32 ? "/f32" : "/bf16");
  }

  std::vector<std::string> CaseNames() const {
    std::vector<std::string> names;
    for (const auto& [name, c] : meta_.at("cases").items()) names.push_back(name);
    return names;
  }

  int64_t NewTokens(const std::string& name) const {
    return static_cast<int64_t>(ReadInts(set_dir_ + "/" + name + "/generated_tokens.npy").size());
  }

  // The float32 run of a case (cached: the bf16 test reuses it).
  const RunResult* F32Run(const std::string& name) {
    auto& runs = Runs();
    const std::string key = GetParam().name + "/" + name;
    if (runs.count(key)) return &runs.at(key);
    const LoadedModel* model = Model(DType::kF32);
    if (model == nullptr) return nullptr;
    StatusOr<Case> c = CaseOf(meta_, name, set_dir_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return nullptr;
    StatusOr<RunResult> r = RunModel(*model, *c, NewTokens(name), pool_.get());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    runs[key] = std::move(*r);
    return &runs.at(key);
  }

  void CheckInputs(const std::string& name, const RunResult& r);
  void CheckStages(const std::string& name, const RunResult& r);

  static std::map<std::string, std::unique_ptr<LoadedModel>>& Models() {
    static auto* models = new std::map<std::string, std::unique_ptr<LoadedModel>>;
    return *models;
  }
  static std::map<std::string, RunResult>& Runs() {
    static auto* runs = new std::map<std::string, RunResult>;
    return *runs;
  }

  std::string set_dir_;
  nlohmann::json meta_;
  std::unique_ptr<ThreadPool> pool_;
};

// input_ids, grids and rope delta exactly; the pixel summary to float rounding.
void GoldenTest::CheckInputs(const std::string& name, const RunResult& r) {
  const std::string dir = set_dir_ + "/" + name + "/";
  std::vector<int64_t> ids = ReadInts(dir + "input_ids.npy");
  EXPECT_EQ(std::vector<int64_t>(r.input_ids.begin(), r.input_ids.end()), ids) << name << ": input_ids differ";
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
  // Same uint8 pixels (no resize) and the same fused normalization: bit-identical.
  Error e = Compare(std::vector<float>(r.pixel_values.begin(), r.pixel_values.begin() + 4 * r.patch_dim), head->f32);
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

// Every stage the fixture saved within kRelTol (positions exactly), with a table of errors.
void GoldenTest::CheckStages(const std::string& name, const RunResult& r) {
  StatusOr<Case> c = CaseOf(meta_, name, set_dir_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_FALSE(c->stages.empty()) << name << ": meta.json lists no stages";
  for (const std::string& stage : c->stages) {
    StatusOr<NpyArray> ref = ReadNpyFile(set_dir_ + "/" + name + "/" + stage + ".npy");
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    auto it = r.stages.find(stage);
    ASSERT_NE(it, r.stages.end()) << name << ": corgi did not emit " << stage;
    ASSERT_EQ(it->second.shape, ref->shape) << name << " " << stage << ": shape " << ShapeText(it->second.shape)
                                            << " vs reference " << ShapeText(ref->shape);
    const Error e = Compare(it->second.data, AsFloats(*ref));
    std::printf("%-26s %-18s %-22s %-14s %11.3e %11.3e %11.3e\n", GetParam().name.c_str(), name.c_str(),
                stage.c_str(), ShapeText(ref->shape).c_str(), e.max_abs, e.max_ref, e.rel());
    if (stage == "text.positions") {
      EXPECT_EQ(e.max_abs, 0.0) << name << ": M-RoPE positions differ";
    } else {
      const double tol = stage.rfind("logits.", 0) == 0 ? kLogitsRelTol : kRelTol;
      EXPECT_LE(e.rel(), tol) << name << " " << stage << ": max|err| " << e.max_abs << " of max|ref| " << e.max_ref;
    }
  }
  std::fflush(stdout);
}

// A make-model checkpoint must be the one the fixtures came from (the generator did not
// change): file size and a probe of every tensor as meta.json records them.
TEST_P(GoldenTest, CheckpointIsTheFixturesCheckpoint) {
  const LoadedModel* model = Model(DType::kF32);
  ASSERT_NE(model, nullptr);
  const std::string regenerate = "the checkpoint differs from the one " + set_dir_ +
                                 " was made from (did the synthetic generator or its presets change?). "
                                 "Regenerate the fixtures: see the README beside them";
  const std::string file = ModelDir(DType::kF32) + "/model.safetensors";
  if (GetParam().checkpoint.empty()) {
    ASSERT_EQ(static_cast<int64_t>(fs::file_size(file)), meta_.value("model_safetensors_bytes", int64_t{-1}))
        << regenerate;
  }
  StatusOr<TensorStore> store = TensorStore::Open(file);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const nlohmann::json& probe = meta_["checkpoint_probe"];
  ASSERT_EQ(probe.size(), store->tensors().size()) << regenerate;
  for (const TensorInfo& info : store->tensors()) {
    ASSERT_TRUE(probe.contains(info.name)) << info.name << ": " << regenerate;
    const TensorView v = store->View(info);
    const int64_t n = info.shape.numel();
    std::vector<float> x(n);
    ops::ConvertToF32(v.data, info.dtype, n, x.data());
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += x[i];
    const auto& p = probe[info.name];
    EXPECT_EQ(x[0], p[0].get<float>()) << info.name << ": " << regenerate;
    EXPECT_EQ(x[n - 1], p[1].get<float>()) << info.name << ": " << regenerate;
    EXPECT_NEAR(sum, p[2].get<double>(), 1e-9 * n) << info.name << ": " << regenerate;
  }
}

// Every case: inputs, every stage, and the greedy tokens.
TEST_P(GoldenTest, EveryCaseMatchesTransformers) {
  for (const std::string& name : CaseNames()) {
    SCOPED_TRACE(name);
    const RunResult* r = F32Run(name);
    ASSERT_NE(r, nullptr);
    CheckInputs(name, *r);
    CheckStages(name, *r);
    std::vector<int64_t> tokens = ReadInts(set_dir_ + "/" + name + "/generated_tokens.npy");
    EXPECT_EQ(std::vector<int64_t>(r->tokens.begin(), r->tokens.end()), tokens)
        << name << ": the " << tokens.size() << " greedy tokens differ";
  }
}

// The same seed written in bf16 (weights rounded to 8 mantissa bits; corgi still computes
// in float32) must stay close to the float32 logits and agree on the top-1 prefill token.
// Error is relative to max|logit| of the f32 run. Only for make-model sets.
TEST_P(GoldenTest, Bf16LogitsNearF32) {
  if (!GetParam().checkpoint.empty()) GTEST_SKIP() << "committed checkpoint: one dtype";
  const LoadedModel* bf16 = Model(DType::kBF16);
  const LoadedModel* f32 = Model(DType::kF32);
  ASSERT_TRUE(bf16 != nullptr && f32 != nullptr);
  for (const std::string& name : CaseNames()) {
    const RunResult* a_run = F32Run(name);
    ASSERT_NE(a_run, nullptr);
    StatusOr<Case> c = CaseOf(meta_, name, set_dir_);
    ASSERT_TRUE(c.ok());
    StatusOr<RunResult> r = RunModel(*bf16, *c, NewTokens(name), pool_.get());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::vector<float>& a = a_run->stages.at("logits.prefill_last").data;
    const std::vector<float>& b = r->stages.at("logits.prefill_last").data;
    const Error e = Compare(b, a);
    std::printf("bf16 vs f32 %-26s %-18s logits max|err| %.3e max|ref| %.3e rel %.3e\n", GetParam().name.c_str(),
                name.c_str(), e.max_abs, e.max_ref, e.rel());
    EXPECT_LE(e.rel(), kBf16RelTol) << name;
    EXPECT_EQ(Argmax(b, bf16->sampleable_vocab()), Argmax(a, f32->sampleable_vocab())) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, GoldenTest, ::testing::ValuesIn(FixtureSets()),
                         [](const ::testing::TestParamInfo<FixtureSet>& info) { return info.param.name; });

}  // namespace
}  // namespace corgi
