// The tiny model's vision and text forwards against plain double-precision references
// written the way transformers computes them (input order, masks instead of window
// reordering), plus determinism and batch invariance.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "core/temp_dir_test_util.h"
#include "corgi/backend/ops.h"
#include "corgi/model/qwen2_5vl/model.h"
#include "corgi/model/qwen2_5vl/positions.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi::qwen2_5vl {
namespace {

using Vec = std::vector<double>;

Vec ToDouble(const TensorView& t) {
  std::vector<float> f(t.numel());
  ops::ConvertToF32(t.data, t.dtype, t.numel(), f.data());
  return Vec(f.begin(), f.end());
}

// y[m, n] = x[m, :]·W[n, :] + b[n].
Vec Linear(const Vec& x, int64_t m, const qwen2_5vl::Linear& l) {
  const int64_t n = l.weight.shape[0], k = l.weight.shape[1];
  const Vec w = ToDouble(l.weight), b = l.bias.data ? ToDouble(l.bias) : Vec(n, 0.0);
  Vec y(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = b[j];
      for (int64_t c = 0; c < k; ++c) s += x[i * k + c] * w[j * k + c];
      y[i * n + j] = s;
    }
  return y;
}

Vec RmsNorm(const Vec& x, int64_t d, const TensorView& weight, double eps) {
  const Vec w = ToDouble(weight);
  Vec y(x.size());
  for (size_t r = 0; r < x.size() / d; ++r) {
    double ss = 0;
    for (int64_t j = 0; j < d; ++j) ss += x[r * d + j] * x[r * d + j];
    const double inv = 1.0 / std::sqrt(ss / d + eps);
    for (int64_t j = 0; j < d; ++j) y[r * d + j] = w[j] * x[r * d + j] * inv;
  }
  return y;
}

double Silu(double v) { return v / (1.0 + std::exp(-v)); }

// Rotate-half rotary on rows of `heads` x `hd` with angles [rows, hd/2].
void Rotate(Vec& x, int64_t rows, int64_t heads, int64_t hd, int64_t ld, const Vec& angles) {
  const int64_t half = hd / 2;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h) {
      double* v = &x[r * ld + h * hd];
      for (int64_t i = 0; i < half; ++i) {
        const double c = std::cos(angles[r * half + i]), s = std::sin(angles[r * half + i]);
        const double a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
      }
    }
}

// out[i] = softmax over allowed j of q_i·k_j·scale, times v_j; q, k, v strided rows.
void Attend(const Vec& q, int64_t q_ld, const Vec& k, const Vec& v, int64_t kv_ld, int64_t rows,
            int64_t heads, int64_t kv_heads, int64_t hd,
            const std::function<bool(int64_t, int64_t)>& allowed, Vec* out) {
  out->assign(rows * heads * hd, 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  for (int64_t h = 0; h < heads; ++h) {
    const int64_t kh = h / (heads / kv_heads);
    for (int64_t i = 0; i < rows; ++i) {
      std::vector<double> score(rows, -INFINITY);
      double mx = -INFINITY;
      for (int64_t j = 0; j < rows; ++j) {
        if (!allowed(i, j)) continue;
        double s = 0;
        for (int64_t c = 0; c < hd; ++c) s += q[i * q_ld + h * hd + c] * k[j * kv_ld + kh * hd + c];
        score[j] = s * scale;
        mx = std::max(mx, score[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < rows; ++j) sum += score[j] == -INFINITY ? 0 : std::exp(score[j] - mx);
      for (int64_t j = 0; j < rows; ++j) {
        if (score[j] == -INFINITY) continue;
        const double p = std::exp(score[j] - mx) / sum;
        for (int64_t c = 0; c < hd; ++c)
          (*out)[i * heads * hd + h * hd + c] += p * v[j * kv_ld + kh * hd + c];
      }
    }
  }
}

void ExpectClose(const float* got, const Vec& want, double tol, const std::string& what) {
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::fabs(got[i] - want[i]) / (1 + std::fabs(want[i])));
  EXPECT_LT(worst, tol) << what;
}

class Qwen25Forward : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_util::TempDir();
    ASSERT_TRUE(test_models::WriteTinyCheckpoint(dir_->path(), 11, DType::kF32, "qwen2_5_vl").ok());
    StatusOr<std::unique_ptr<Model>> m = Model::Load(dir_->path());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = m->release();
  }
  static void TearDownTestSuite() {
    delete model_;
    delete dir_;
  }
  static std::vector<float> RandomRows(int64_t rows, int64_t width, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> x(rows * width);
    for (float& v : x) v = u(rng);
    return x;
  }
  static test_util::TempDir* dir_;
  static Model* model_;
};
test_util::TempDir* Qwen25Forward::dir_ = nullptr;
Model* Qwen25Forward::model_ = nullptr;

// The vision tower in input order: window membership as an attention mask.
std::map<std::string, Vec> ReferenceVision(const ModelConfig& c, const VisionWeights& w,
                                           const std::vector<float>& px,
                                           std::span<const ImageGrid> grids) {
  const VisionConfig& v = c.vision;
  const int64_t hv = v.hidden_size, hd = v.head_dim(), half = hd / 2, merge = v.spatial_merge_size;
  const int64_t vws = v.window_merged();
  int64_t np = 0;
  for (const ImageGrid& g : grids) np += g.patches();
  // Per patch: image/frame, window (within its frame) and rotary angles.
  std::vector<int64_t> frame_of(np), window_of(np);
  Vec angles(np * half);
  int64_t p = 0, frame_id = 0;
  for (const ImageGrid& g : grids) {
    const int64_t mh = g.h / merge, mw = g.w / merge;
    for (int64_t f = 0; f < g.t; ++f, ++frame_id)
      for (int64_t tok = 0; tok < mh * mw; ++tok)
        for (int64_t j = 0; j < merge * merge; ++j, ++p) {
          const int64_t y = tok / mw, x = tok % mw;
          frame_of[p] = frame_id;
          window_of[p] = (y / vws) * 1000 + x / vws;
          const double row = y * merge + j / merge, col = x * merge + j % merge;
          for (int64_t k = 0; k < half / 2; ++k) {
            const double inv = 1.0 / std::pow(10000.0, 2.0 * k / half);
            angles[p * half + k] = row * inv;
            angles[p * half + half / 2 + k] = col * inv;
          }
        }
  }
  std::map<std::string, Vec> stages;
  qwen2_5vl::Linear patch{w.patch_embed, TensorView()};
  Vec x = Linear(Vec(px.begin(), px.end()), np, patch);
  stages["vision.patch_embed"] = x;
  for (int64_t b = 0; b < v.depth; ++b) {
    const VisionBlock& blk = w.blocks[b];
    const bool full = v.full_attention(b);
    Vec qkv = Linear(RmsNorm(x, hv, blk.norm1, 1e-6), np, blk.qkv);
    Vec q(np * hv), k(np * hv), val(np * hv);
    for (int64_t r = 0; r < np; ++r)
      for (int64_t j = 0; j < hv; ++j) {
        q[r * hv + j] = qkv[r * 3 * hv + j];
        k[r * hv + j] = qkv[r * 3 * hv + hv + j];
        val[r * hv + j] = qkv[r * 3 * hv + 2 * hv + j];
      }
    Rotate(q, np, v.num_heads, hd, hv, angles);
    Rotate(k, np, v.num_heads, hd, hv, angles);
    Vec attn;
    Attend(
        q, hv, k, val, hv, np, v.num_heads, v.num_heads, hd,
        [&](int64_t i, int64_t j) {
          return frame_of[i] == frame_of[j] && (full || window_of[i] == window_of[j]);
        },
        &attn);
    Vec o = Linear(attn, np, blk.proj);
    for (int64_t i = 0; i < np * hv; ++i) x[i] += o[i];
    const Vec n2 = RmsNorm(x, hv, blk.norm2, 1e-6);
    Vec gate = Linear(n2, np, blk.gate), up = Linear(n2, np, blk.up);
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = Silu(gate[i]) * up[i];
    const Vec down = Linear(gate, np, blk.down);
    for (int64_t i = 0; i < np * hv; ++i) x[i] += down[i];
    stages["vision.block" + std::to_string(b) + ".out"] = x;
  }
  Vec h = Linear(RmsNorm(x, hv, w.merger_norm, 1e-6), np / (merge * merge), w.merger_fc1);
  for (double& e : h) e = 0.5 * e * (1.0 + std::erf(e / std::sqrt(2.0)));
  stages["vision.merger"] = Linear(h, np / (merge * merge), w.merger_fc2);
  return stages;
}

TEST_F(Qwen25Forward, VisionMatchesTheInputOrderReference) {
  // Merged 3 x 5 (partial 2 x 2 windows) and 2 x 2 grids.
  const std::vector<ImageGrid> grids = {{1, 6, 10}, {1, 4, 4}};
  const int64_t np = 76, patch_dim = 3 * 2 * 14 * 14;
  const std::vector<float> px = RandomRows(np, patch_dim, 1);
  std::map<std::string, std::vector<float>> got;
  StageObserver observer = [&](const std::string& name, const float* data, const Shape& shape) {
    got[name].assign(data, data + shape.numel());
  };
  ThreadPool pool(2);
  StatusOr<VisionOutput> out = model_->EncodeImages(px.data(), grids, &pool, &observer);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->tokens, 19);
  EXPECT_EQ(out->width, 32);
  EXPECT_TRUE(out->deepstack.empty());
  const auto want = ReferenceVision(model_->config(), model_->weights().vision, px, grids);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, ref] : want) {
    ASSERT_EQ(got[name].size(), ref.size()) << name;
    ExpectClose(got[name].data(), ref, 1e-4, name);
  }
  ExpectClose(out->embeds.data(), want.at("vision.merger"), 1e-4, "embeds");
}

TEST_F(Qwen25Forward, VisionIsDeterministicAndBatchInvariant) {
  const std::vector<ImageGrid> grids = {{1, 6, 10}, {1, 4, 4}};
  const int64_t patch_dim = 3 * 2 * 14 * 14;
  const std::vector<float> px = RandomRows(76, patch_dim, 2);
  ThreadPool pool(2);
  StatusOr<VisionOutput> both = model_->EncodeImages(px.data(), grids, &pool, nullptr);
  StatusOr<VisionOutput> serial = model_->EncodeImages(px.data(), grids, nullptr, nullptr);
  StatusOr<VisionOutput> first =
      model_->EncodeImages(px.data(), std::span(grids).first(1), &pool, nullptr);
  StatusOr<VisionOutput> second =
      model_->EncodeImages(px.data() + 60 * patch_dim, std::span(grids).last(1), &pool, nullptr);
  ASSERT_TRUE(both.ok() && serial.ok() && first.ok() && second.ok());
  EXPECT_EQ(both->embeds, serial->embeds);
  std::vector<float> separate = first->embeds;
  separate.insert(separate.end(), second->embeds.begin(), second->embeds.end());
  EXPECT_EQ(both->embeds, separate);
}

TEST_F(Qwen25Forward, VisionRejectsBadGrids) {
  std::vector<float> px(4 * 1176);
  for (ImageGrid g : {ImageGrid{1, 3, 4}, ImageGrid{0, 2, 2}, ImageGrid{1, 0, 2}}) {
    EXPECT_EQ(model_->EncodeImages(px.data(), std::span(&g, 1), nullptr, nullptr).status().code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(model_->EncodeImages(px.data(), {}, nullptr, nullptr).ok());
}

// The decoder over one sequence in double precision; logits of every row.
Vec ReferenceText(const ModelConfig& c, const TextWeights& w, const std::vector<float>& embeds,
                  const TextPositions& pos) {
  const TextConfig& t = c.text;
  const int64_t s = pos.length, d = t.hidden_size, hd = t.head_dim, half = hd / 2;
  const int64_t nh = t.num_attention_heads, nkv = t.num_key_value_heads;
  Vec angles(s * half);
  for (int64_t i = 0; i < s; ++i)
    for (int64_t k = 0; k < half; ++k) {
      const int axis =
          k < t.mrope_section[0] ? 0 : (k < t.mrope_section[0] + t.mrope_section[1] ? 1 : 2);
      const double p = axis == 0 ? pos.t(i) : (axis == 1 ? pos.h(i) : pos.w(i));
      angles[i * half + k] = p / std::pow(t.rope_theta, 2.0 * k / hd);
    }
  Vec x(embeds.begin(), embeds.end());
  for (const TextLayer& l : w.layers) {
    const Vec n1 = RmsNorm(x, d, l.input_norm, t.rms_norm_eps);
    Vec q = Linear(n1, s, l.q), k = Linear(n1, s, l.k);
    const Vec v = Linear(n1, s, l.v);
    Rotate(q, s, nh, hd, nh * hd, angles);
    Rotate(k, s, nkv, hd, nkv * hd, angles);
    Vec attn;
    Attend(
        q, nh * hd, k, v, nkv * hd, s, nh, nkv, hd, [](int64_t i, int64_t j) { return j <= i; },
        &attn);
    const Vec o = Linear(attn, s, l.o);
    for (int64_t i = 0; i < s * d; ++i) x[i] += o[i];
    const Vec n2 = RmsNorm(x, d, l.post_norm, t.rms_norm_eps);
    Vec gate = Linear(n2, s, l.gate), up = Linear(n2, s, l.up);
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = Silu(gate[i]) * up[i];
    const Vec down = Linear(gate, s, l.down);
    for (int64_t i = 0; i < s * d; ++i) x[i] += down[i];
  }
  return Linear(RmsNorm(x, d, w.final_norm, t.rms_norm_eps), s,
                qwen2_5vl::Linear{w.lm_head, TensorView()});
}

// Runs `rows` of one sequence (continuing `seq`) and returns the logits of every row.
std::vector<float> Step(const Model& m, KvPagePool& kv, KvSequence& seq,
                        corgi::TextScratch* scratch, const float* embeds, const int32_t* positions,
                        int64_t rows) {
  while (static_cast<int64_t>(seq.pages.size()) * kv.page_rows() < seq.length + rows)
    seq.pages.push_back(kv.Allocate());
  std::vector<int64_t> logit_rows(rows);
  for (int64_t i = 0; i < rows; ++i) logit_rows[i] = i;
  TextBatch batch;
  batch.embeds = embeds;
  batch.positions = positions;
  batch.segments = {{&seq, rows}};
  batch.logit_rows = logit_rows;
  std::vector<float> logits(rows * m.text_shape().vocab);
  Status s = m.ForwardText(batch, &kv, scratch, logits.data(), nullptr, nullptr);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return logits;
}

// Positions of a prompt: 3 text tokens, an image of merged 2 x 3 tokens, 2 text tokens.
TextPositions PromptPositions(const Model& m, int64_t* length) {
  std::vector<int32_t> tokens = {1, 2, 3};
  for (int i = 0; i < 6; ++i) tokens.push_back(m.image_token_id());
  tokens.push_back(4);
  tokens.push_back(5);
  const ImageGrid grid{1, 4, 6};
  *length = static_cast<int64_t>(tokens.size());
  return *m.ComputePositions(tokens, std::span(&grid, 1));
}

TEST_F(Qwen25Forward, TextMatchesTheReference) {
  const Model& m = *model_;
  int64_t s = 0;
  const TextPositions pos = PromptPositions(m, &s);
  const std::vector<float> embeds = RandomRows(s, 32, 3);
  KvPagePool kv(3, m.text_shape().kv_heads, m.text_shape().head_dim, 4, 16);
  KvSequence seq;
  auto scratch = m.NewTextScratch();
  const std::vector<float> logits =
      Step(m, kv, seq, scratch.get(), embeds.data(), pos.ids.data(), s);
  EXPECT_EQ(seq.length, s);
  const Vec want = ReferenceText(m.config(), m.weights().text, embeds, pos);
  ExpectClose(logits.data(), want, 1e-4, "logits");
}

TEST_F(Qwen25Forward, TextIsBatchInvariantAndDecodeContinuesThePrefill) {
  const Model& m = *model_;
  const int64_t vocab = m.text_shape().vocab;
  int64_t s = 0;
  const TextPositions pos = PromptPositions(m, &s);
  const std::vector<float> a = RandomRows(s, 32, 4), b = RandomRows(7, 32, 5);
  KvPagePool kv(3, m.text_shape().kv_heads, m.text_shape().head_dim, 4, 64);
  auto scratch = m.NewTextScratch();

  KvSequence alone;
  const std::vector<float> alone_logits =
      Step(m, kv, alone, scratch.get(), a.data(), pos.ids.data(), s);

  // The same prefill batched after another sequence's 7 rows.
  KvSequence other, batched;
  for (KvSequence* q : {&other, &batched})
    while (static_cast<int64_t>(q->pages.size()) * 4 < s) q->pages.push_back(kv.Allocate());
  std::vector<float> embeds = b;
  embeds.insert(embeds.end(), a.begin(), a.end());
  std::vector<int32_t> positions(3 * (7 + s));
  for (int axis = 0; axis < 3; ++axis) {
    for (int i = 0; i < 7; ++i) positions[axis * (7 + s) + i] = i;
    for (int64_t i = 0; i < s; ++i) positions[axis * (7 + s) + 7 + i] = pos.ids[axis * s + i];
  }
  std::vector<int64_t> rows(s);
  for (int64_t i = 0; i < s; ++i) rows[i] = 7 + i;
  TextBatch batch;
  batch.embeds = embeds.data();
  batch.positions = positions.data();
  batch.segments = {{&other, 7}, {&batched, s}};
  batch.logit_rows = rows;
  std::vector<float> logits(s * vocab);
  ThreadPool pool(2);
  ASSERT_TRUE(m.ForwardText(batch, &kv, scratch.get(), logits.data(), &pool, nullptr).ok());
  EXPECT_EQ(logits, alone_logits);

  // Prefill all but the last token, then decode it: the last row's logits are the same bits.
  KvSequence split;
  std::vector<int32_t> head(3 * (s - 1)), tail(3);
  for (int axis = 0; axis < 3; ++axis) {
    for (int64_t i = 0; i < s - 1; ++i) head[axis * (s - 1) + i] = pos.ids[axis * s + i];
    tail[axis] = pos.ids[axis * s + s - 1];
  }
  Step(m, kv, split, scratch.get(), a.data(), head.data(), s - 1);
  const std::vector<float> last =
      Step(m, kv, split, scratch.get(), a.data() + (s - 1) * 32, tail.data(), 1);
  EXPECT_TRUE(std::equal(last.begin(), last.end(), alone_logits.begin() + (s - 1) * vocab));
}

TEST_F(Qwen25Forward, TextRejectsBadBatches) {
  const Model& m = *model_;
  auto scratch = m.NewTextScratch();
  std::vector<float> embeds(2 * 32), logits(m.text_shape().vocab);
  std::vector<int32_t> positions(6, 0);
  const int64_t kvh = m.text_shape().kv_heads, hd = m.text_shape().head_dim;
  KvPagePool wrong(2, kvh, hd, 4, 4), kv(3, kvh, hd, 4, 4);
  KvSequence seq;
  seq.pages.push_back(kv.Allocate());
  TextBatch batch;
  batch.embeds = embeds.data();
  batch.positions = positions.data();
  batch.segments = {{&seq, 2}};
  EXPECT_EQ(m.ForwardText(batch, &wrong, scratch.get(), logits.data(), nullptr, nullptr).code(),
            StatusCode::kInvalidArgument);
  batch.segments = {{&seq, 5}};  // one page holds 4 rows
  EXPECT_EQ(m.ForwardText(batch, &kv, scratch.get(), logits.data(), nullptr, nullptr).code(),
            StatusCode::kFailedPrecondition);
  batch.segments = {{&seq, 1}, {&seq, 1}};
  EXPECT_EQ(m.ForwardText(batch, &kv, scratch.get(), logits.data(), nullptr, nullptr).code(),
            StatusCode::kInvalidArgument);
  batch.segments = {};
  EXPECT_EQ(m.ForwardText(batch, &kv, scratch.get(), logits.data(), nullptr, nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(seq.length, 0);
  const int32_t bad_id = static_cast<int32_t>(m.text_shape().vocab);
  EXPECT_EQ(m.Embed(std::span(&bad_id, 1), embeds.data(), nullptr).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi::qwen2_5vl
