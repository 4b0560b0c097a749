// corgi bench accuracy: how far quantized weights move the next-token distribution from
// the float reference on the same checkpoint (docs/QUANTIZATION.md).
//
// Both models read the same token sequences, teacher-forced (no sampling), and every scored
// position compares the full next-token distributions over the sampleable vocabulary:
//   KL(p_ref ‖ p_q) in nats, top-1 agreement, |p_ref(top) − p_q(top)|, and the logits'
//   relative error ‖l_q − l_ref‖₂ / ‖l_ref‖₂.
// Two kinds of sequences:
//   images (default): for each image, a user turn with the image and a passage of text;
//     the text's positions are scored (the image tokens' are not: nothing is predicted there);
//   --text FILE --ctx N: the file's tokens cut into chunks of N with the second half of each
//     chunk scored — the positions llama.cpp's `llama-perplexity --kl-divergence` scores,
//     so the two engines' numbers are comparable (tools/bench/llama-kl.sh).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "apps/cli/bench_kinds.h"
#include "apps/cli/flags.h"
#include "apps/cli/load_model.h"
#include "apps/cli/model_path.h"
#include "corgi/backend/ops.h"
#include "corgi/core/mapped_file.h"
#include "corgi/engine/prompt.h"
#include "corgi/image/decode.h"
#include "corgi/image/resize.h"
#include "corgi/model/registry.h"
#include "corgi/request/request.h"

namespace corgi::cli {
namespace {

// One sequence to score: its tokens with everything the decoder needs, and which rows.
struct Sequence {
  std::vector<int32_t> tokens;    // [S]
  std::vector<int32_t> positions; // [3, S]
  std::vector<float> pixels;      // image patches, empty for text
  std::vector<ImageGrid> grids;
  std::vector<int64_t> visual_rows;
  int64_t score_from = 0;  // rows [score_from, S - 1) are scored (row r predicts token r + 1)
};

// The rows' logits [rows, V] of one sequence under `model`, in order.
StatusOr<std::vector<float>> SequenceLogits(const LoadedModel& model, const Sequence& seq, ThreadPool* pool) {
  const TextShape& shape = model.text_shape();
  const int64_t s = static_cast<int64_t>(seq.tokens.size()), d = shape.hidden, v = shape.vocab;
  std::vector<float> embeds(static_cast<size_t>(s * d));
  CORGI_RETURN_IF_ERROR(model.Embed(seq.tokens, embeds.data(), pool));
  VisionOutput vision;
  if (!seq.grids.empty()) {
    CORGI_ASSIGN_OR_RETURN(vision, model.EncodeImages(seq.pixels.data(), seq.grids, pool, nullptr));
    if (vision.tokens != static_cast<int64_t>(seq.visual_rows.size())) {
      return InternalError("image tokens and visual rows disagree");
    }
    for (int64_t i = 0; i < vision.tokens; ++i) {
      std::copy_n(vision.embeds.data() + i * d, d, embeds.data() + seq.visual_rows[i] * d);
    }
  }
  constexpr int64_t kPageRows = 64, kChunk = 256;
  KvPagePool kv(shape.layers, shape.kv_heads, shape.head_dim, kPageRows, (s + kPageRows - 1) / kPageRows);
  KvSequence sequence;
  for (int64_t p = 0; p < (s + kPageRows - 1) / kPageRows; ++p) sequence.pages.push_back(kv.Allocate());
  std::unique_ptr<TextScratch> scratch = model.NewTextScratch();
  const int64_t scored = std::max<int64_t>(0, s - 1 - seq.score_from);
  std::vector<float> out(static_cast<size_t>(scored * v));
  std::vector<int32_t> pos;
  std::vector<int64_t> rows, visual;
  size_t next_visual = 0;
  for (int64_t b = 0; b < s; b += kChunk) {
    const int64_t len = std::min(kChunk, s - b);
    pos.resize(static_cast<size_t>(3 * len));
    for (int a = 0; a < 3; ++a) std::copy_n(seq.positions.data() + a * s + b, len, pos.data() + a * len);
    rows.clear();
    for (int64_t r = std::max(b, seq.score_from); r < std::min(b + len, s - 1); ++r) rows.push_back(r - b);
    visual.clear();
    const size_t first_visual = next_visual;
    while (next_visual < seq.visual_rows.size() && seq.visual_rows[next_visual] < b + len) {
      visual.push_back(seq.visual_rows[next_visual++] - b);
    }
    TextBatch step;
    step.embeds = embeds.data() + b * d;
    step.positions = pos.data();
    step.segments = {{&sequence, len}};
    step.logit_rows = rows;
    if (!visual.empty()) {
      step.visual_rows = visual;
      for (const std::vector<float>& level : vision.deepstack) step.deepstack.push_back(level.data() + first_visual * d);
    }
    // A chunk without scored rows writes no logits (ForwardText writes only logit_rows).
    float* logits = rows.empty() ? nullptr : out.data() + (b + rows.front() - seq.score_from) * v;
    CORGI_RETURN_IF_ERROR(model.ForwardText(step, &kv, scratch.get(), logits, pool, nullptr));
  }
  return out;
}

// Deterministic passages (scored text). Plain English; the content does not matter with
// random weights, only that both models read the same tokens.
const char* const kPassages[] = {
    "The photograph shows a narrow street after rain. Shop signs reflect in the puddles, a cyclist "
    "passes a bakery whose window is full of bread, and two people under one umbrella wait at the "
    "crossing. On the left a blue van is parked half on the pavement; its side reads FRESH FLOWERS "
    "DAILY in white letters. Further back a church tower rises above the roofs, and the clock on it "
    "shows a quarter past nine. The light is grey and soft, and the colours of the awnings, red, "
    "green and yellow, are the brightest things in the scene.",
    "A kitchen table seen from above: a chopping board with half an onion, a knife with a wooden "
    "handle, three tomatoes, a jar of olive oil with a handwritten label, and an open notebook in "
    "which someone has written a shopping list in pencil: eggs, flour, lemons, coffee, matches. "
    "A cat's paw reaches in from the bottom edge of the picture toward the tomatoes. The table top "
    "is scratched oak, and a folded newspaper lies under the board with a crossword half done.",
    "This chart compares the monthly rainfall of two cities over one year. Bars for the first city "
    "are dark blue and peak in November at about 140 millimetres; bars for the second are orange and "
    "stay below 60 millimetres all year, with the driest month in July. The vertical axis is labelled "
    "in steps of twenty, the legend sits in the upper right corner, and a note at the bottom says the "
    "data come from a national weather service and were averaged over thirty years.",
    "A mountain lake at sunrise. Mist lies on the water and hides the far shore; a wooden jetty runs "
    "out from the foreground with a red rowing boat tied to its last post. Pine trees stand on the "
    "slopes on both sides, and snow still covers the highest ridge. A sign nailed to the jetty says "
    "NO SWIMMING AFTER DARK. Two ducks leave a V-shaped wake in the otherwise still surface.",
};

StatusOr<std::vector<Sequence>> ImageSequences(const LoadedModel& model, const std::vector<std::string>& images,
                                               int64_t image_side, ThreadPool* pool) {
  CORGI_ASSIGN_OR_RETURN(const VisionPreprocessParams params, model.PreprocessParams());
  std::vector<Sequence> out;
  for (size_t i = 0; i < images.size(); ++i) {
    CORGI_ASSIGN_OR_RETURN(RgbImage rgb, DecodeImageFile(images[i]));
    CORGI_ASSIGN_OR_RETURN(rgb, ResizeBicubic(rgb, image_side, image_side, ResamplePrecision::kTorchvision, nullptr));
    const std::string passage = kPassages[i % std::size(kPassages)];
    std::vector<Message> messages = {Message::User(
        {ContentPart::Image(std::move(rgb)), ContentPart::Text("Describe the picture.\n" + passage)})};
    CORGI_ASSIGN_OR_RETURN(PreparedPrompt prompt, PreparePrompt(model, messages, params, pool, true));
    Sequence seq;
    seq.tokens = std::move(prompt.tokens);
    seq.positions = std::move(prompt.positions.ids);
    seq.pixels = std::move(prompt.pixel_values);
    seq.grids = std::move(prompt.grids);
    seq.visual_rows = std::move(prompt.visual_rows);
    seq.score_from = seq.visual_rows.empty() ? 0 : seq.visual_rows.back() + 1;
    out.push_back(std::move(seq));
  }
  return out;
}

// llama-perplexity's chunking: ctx-token chunks, the first token of each replaced by BOS
// where the model has one (Qwen has none, so the tokens stay), the second half scored.
StatusOr<std::vector<Sequence>> TextSequences(const LoadedModel& model, const std::string& path, int64_t ctx,
                                              int64_t max_chunks) {
  CORGI_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  std::vector<int32_t> ids;
  model.tokenizer().EncodeOrdinaryAppend(text, &ids);
  std::vector<Sequence> out;
  for (int64_t c = 0; (c + 1) * ctx <= static_cast<int64_t>(ids.size()) && c < max_chunks; ++c) {
    Sequence seq;
    seq.tokens.assign(ids.begin() + c * ctx, ids.begin() + (c + 1) * ctx);
    seq.positions.resize(static_cast<size_t>(3 * ctx));
    for (int a = 0; a < 3; ++a) std::iota(seq.positions.begin() + a * ctx, seq.positions.begin() + (a + 1) * ctx, 0);
    // llama-perplexity scores logit rows ctx/2 .. ctx-2 (predicting tokens ctx/2+1 .. ctx-1).
    seq.score_from = ctx / 2;
    out.push_back(std::move(seq));
  }
  if (out.empty()) return InvalidArgumentError(path + ": fewer than --ctx tokens");
  return out;
}

struct PositionStats {
  std::vector<double> kl, rel_error, dp_top;
  int64_t top1_same = 0;
  std::vector<double> ref_top_prob;
  std::vector<double> log_ref, log_q;  // scratch [V], reused for every position
};

// log-softmax of n logits into out.
void LogSoftmax(const float* x, int64_t n, std::vector<double>* out) {
  out->resize(static_cast<size_t>(n));
  double m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(x[i]));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
  const double log_sum = m + std::log(sum);
  for (int64_t i = 0; i < n; ++i) (*out)[i] = x[i] - log_sum;
}

void Compare(const float* ref, const float* q, int64_t n, PositionStats* st) {
  std::vector<double>& lr = st->log_ref;
  std::vector<double>& lq = st->log_q;
  LogSoftmax(ref, n, &lr);
  LogSoftmax(q, n, &lq);
  double kl = 0, diff = 0, norm = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double p = std::exp(lr[i]);
    kl += p * (lr[i] - lq[i]);
    diff += (double(q[i]) - ref[i]) * (double(q[i]) - ref[i]);
    norm += double(ref[i]) * ref[i];
  }
  const int64_t top_ref = ops::Argmax(ref, n), top_q = ops::Argmax(q, n);
  st->kl.push_back(std::max(0.0, kl));
  st->rel_error.push_back(norm > 0 ? std::sqrt(diff / norm) : 0.0);
  st->dp_top.push_back(std::fabs(std::exp(lr[top_ref]) - std::exp(lq[top_ref])));
  st->ref_top_prob.push_back(std::exp(lr[top_ref]));
  st->top1_same += top_ref == top_q ? 1 : 0;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::min<double>(v.size() - 1, std::floor(q * (v.size() - 1) + 0.5)))];
}
double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

int BenchAccuracy(int argc, char** argv) {
  FlagParser flags("corgi bench accuracy -m DIR (--weights q8|q4 | --quantized DIR) [flags]",
                   "Next-token KL divergence, top-1 agreement and logit error of quantized weights against\n"
                   "the float reference on the same checkpoint (teacher-forced); prints JSON. For an FP8\n"
                   "checkpoint, `-m FP8_DIR --quantized FP8_DIR` compares its Q8 run with its exact float values.");
  std::string* dir = AddModelFlag(&flags, "the float reference checkpoint");
  std::string* weights = AddWeightsFlag(&flags);
  std::string* quantized = flags.String("quantized", "", "compare this checkpoint (corgi quantize, FP8) instead of --weights", "DIR");
  std::string* images = flags.String(
      "images",
      "../shared/data/images/llama_cpp_mtmd/test-1.jpeg,../shared/data/images/moondream_demo/demo-1.jpg",
      "images, comma separated (each resized to --image-side², one prompt each)", "PATHS");
  int64_t* side = flags.Int("image-side", 448, "side of the square each image is resized to", "N");
  int64_t* repeat = flags.Int("repeat", 2, "image mode: use the image list this many times (other passages)", "N");
  std::string* text = flags.String("text", "", "text mode: score this file in --ctx chunks like llama-perplexity", "FILE");
  int64_t* ctx = flags.Int("ctx", 512, "text mode: chunk length", "N");
  int64_t* chunks = flags.Int("chunks", 8, "text mode: chunks at most", "N");
  bool* bf16_dot = flags.Bool("bf16-dot",
                              "run the compared model with bf16 dot products (AVX512_BF16; alone: the float\n"
                              "checkpoint against itself, i.e. the error of bf16 activations)");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: all cores)");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  };
  if (dir->empty() || (*weights == "none" && quantized->empty() && !*bf16_dot)) {
    std::fprintf(stderr, "error: -m/--model and --weights q8|q4 (or --quantized DIR, or --bf16-dot) are required\n");
    return 2;
  }
  if (*bf16_dot && !ops::Bf16DotSupported()) {
    std::fprintf(stderr, "error: --bf16-dot needs a CPU with AVX512_BF16 and the avx512 kernel path\n");
    return 1;
  }
  if (*ctx < 4 || *ctx > 32768 || *chunks < 1 || *chunks > 10000 || *side < 32 || *side > 4096 || *repeat < 1 ||
      *repeat > 1000) {
    std::fprintf(stderr,
                 "error: --ctx must be in [4, 32768], --chunks in [1, 10000], --image-side in [32, 4096], "
                 "--repeat in [1, 1000]\n");
    return 2;
  }
  if (!ResolveModelFlag(dir)) return 1;
  StatusOr<std::unique_ptr<ThreadPool>> pool = ThreadPool::Create(static_cast<size_t>(*threads));
  if (!pool.ok()) return fail(pool.status());
  // The reference runs every weight in float: an FP8 checkpoint's as fp8 · scale exactly.
  StatusOr<std::unique_ptr<LoadedModel>> ref = LoadModelWithWeights(*dir, "none", pool->get(), /*dequantize_fp8=*/true);
  if (!ref.ok()) return fail(ref.status());
  StatusOr<std::unique_ptr<LoadedModel>> q = quantized->empty()
                                                 ? LoadModelWithWeights(*dir, *weights, pool->get())
                                                 : LoadModelWithWeights(*quantized, *weights, pool->get());
  if (!q.ok()) return fail(q.status());

  StatusOr<std::vector<Sequence>> seqs = InvalidArgumentError("no sequences");
  if (!text->empty()) {
    seqs = TextSequences(**ref, *text, *ctx, *chunks);
  } else {
    std::vector<std::string> list, paths;
    std::string item;
    for (char c : *images + ",") {
      if (c != ',') { item += c; continue; }
      if (!item.empty()) list.push_back(item);
      item.clear();
    }
    for (int64_t r = 0; r < *repeat; ++r) paths.insert(paths.end(), list.begin(), list.end());
    seqs = ImageSequences(**ref, paths, *side, pool->get());
  }
  if (!seqs.ok()) return fail(seqs.status());

  const int64_t v = (*ref)->sampleable_vocab(), stride = (*ref)->text_shape().vocab;
  PositionStats st;
  for (const Sequence& seq : *seqs) {
    ops::SetBf16Dot(false);  // the reference is float32 whatever CORGI_BF16_DOT says
    StatusOr<std::vector<float>> a = SequenceLogits(**ref, seq, pool->get());
    if (!a.ok()) return fail(a.status());
    ops::SetBf16Dot(*bf16_dot);
    StatusOr<std::vector<float>> b = SequenceLogits(**q, seq, pool->get());
    if (!b.ok()) return fail(b.status());
    const int64_t rows = static_cast<int64_t>(a->size()) / stride;
    for (int64_t r = 0; r < rows; ++r) Compare(a->data() + r * stride, b->data() + r * stride, v, &st);
  }
  const double n = static_cast<double>(st.kl.size());
  nlohmann::json out;
  out["model"] = *dir;
  out["quantized"] = quantized->empty() ? "load-time --weights " + *weights : *quantized;
  out["reference_formats"] = (*ref)->weight_formats();
  out["quantized_formats"] = (*q)->weight_formats();
  out["bf16_dot"] = *bf16_dot;
  out["mode"] = text->empty() ? "images" : "text";
  out["sequences"] = seqs->size();
  out["positions"] = st.kl.size();
  out["kl_mean"] = Mean(st.kl);
  out["kl_median"] = Quantile(st.kl, 0.5);
  out["kl_p99"] = Quantile(st.kl, 0.99);
  out["kl_max"] = Quantile(st.kl, 1.0);
  out["top1_agreement"] = n > 0 ? st.top1_same / n : 0.0;
  out["top_prob_abs_diff_mean"] = Mean(st.dp_top);
  out["logits_rel_error_mean"] = Mean(st.rel_error);
  out["logits_rel_error_max"] = Quantile(st.rel_error, 1.0);
  out["reference_top1_prob_median"] = Quantile(st.ref_top_prob, 0.5);
  out["kernels"] = ops::KernelPathName(ops::ActiveKernelPath());
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace corgi::cli
