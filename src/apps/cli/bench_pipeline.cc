// `corgi bench pipeline`: DESIGN.md's standard CoRGI workload through the real pipeline —
// one 1024×768 image, reasoning 256 tokens, four steps (two object captions of 48 tokens
// on crops, two text steps read by Tesseract beside the model), synthesis 128 tokens, EOS
// ignored, greedy — in optimized mode (caches, batched decoding) or --naive mode (no
// caches, one call at a time, each with its own vision pass). The workload is pinned by
// bench::WorkloadVlm (bench_workload.h); tokens_sha (a hash of all generated tokens in
// call order) lets a naive and an optimized run be compared token for token.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "apps/cli/bench_kinds.h"
#include "apps/cli/bench_workload.h"
#include "apps/cli/flags.h"
#include "apps/cli/load_model.h"
#include "apps/cli/model_path.h"
#include "corgi/core/hash.h"
#include "corgi/core/mapped_file.h"
#include "corgi/core/thread_pool.h"
#include "corgi/engine.h"
#include "corgi/engine/prompt.h"
#include "corgi/image/decode.h"
#include "corgi/model/registry.h"
#include "corgi/image/resize.h"
#include "corgi/pipeline/local_vlm.h"
#include "corgi/pipeline/ocr.h"
#include "corgi/pipeline/pipeline.h"

namespace corgi::cli {
namespace {

using Clock = std::chrono::steady_clock;

using bench::CallRecord;
using bench::kCaptionTokens;
using bench::kReasoningTokens;
using bench::kSynthesisTokens;
using bench::Median;
using bench::PeakRssMb;
using bench::TokensHash;
using bench::WorkloadVlm;

// Prompt tokens through the image's <|vision_end|> in a request: the "image prefix".
StatusOr<int64_t> ImagePrefixTokens(const Engine& engine, const Request& request) {
  CORGI_ASSIGN_OR_RETURN(PreparedPrompt p,
                         PreparePrompt(engine.model(), request.messages, engine.preprocess_params(), nullptr, false));
  if (p.images.empty()) return InvalidArgumentError("the request has no image");
  return p.images[0].first_row + p.images[0].tokens + 1;
}

// What every run of the workload shares: the model (immutable, loaded once) and the image.
struct Workload {
  std::string model_dir, image_path, question;
  std::unique_ptr<LoadedModel> model;
  RgbImage image;  // 1024×768
  int64_t source_width = 0, source_height = 0;
  int64_t threads = 0, lookup = -1;
};

StatusOr<Workload> LoadWorkload(const std::string& model_dir, const std::string& image_path,
                                const std::string& question, int64_t threads, int64_t lookup,
                                const std::string& weights) {
  Workload w;
  w.model_dir = model_dir;
  w.image_path = image_path;
  w.question = question;
  w.threads = threads;
  w.lookup = lookup;
  CORGI_ASSIGN_OR_RETURN(w.image, DecodeImageFile(image_path));
  w.source_width = w.image.width;
  w.source_height = w.image.height;
  if (w.image.width != 1024 || w.image.height != 768) {
    CORGI_ASSIGN_OR_RETURN(w.image, ResizeBicubic(w.image, 768, 1024, ResamplePrecision::kTorchvision, nullptr));
  }
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<ThreadPool> load_pool, ThreadPool::Create(static_cast<size_t>(threads)));
  StatusOr<std::unique_ptr<LoadedModel>> model = LoadModelWithWeights(model_dir, weights, load_pool.get());
  if (!model.ok()) return model.status().WithContext("loading model '" + model_dir + "'");
  w.model = std::move(*model);
  return w;
}

// One run of the workload on a fresh engine (empty caches).
StatusOr<nlohmann::json> Run(const Workload& w, bool naive) {
  const std::string& model_dir = w.model_dir;
  const std::string& image_path = w.image_path;
  const RgbImage& image = w.image;
  EngineOptions options;
  options.threads = w.threads;
  if (w.lookup >= 0) options.lookup_draft_tokens = w.lookup;
  if (naive) options = EngineOptions::Naive(options);
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(w.model.get(), options));
  pipeline::LocalVlm local(engine.get(), pipeline::LocalVlmOptions{model_dir});
  WorkloadVlm vlm(&local);

  const pipeline::PipelineConfig config = bench::WorkloadConfig();
  pipeline::OcrOptions ocr_options;
  ocr_options.workers = config.ocr.workers;
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::OcrEngine> ocr, pipeline::CreateTesseractEngine(ocr_options));
  pipeline::Pipeline pipe(&vlm, ocr.get(), config);

  const auto t0 = Clock::now();
  CORGI_ASSIGN_OR_RETURN(pipeline::Result result, pipe.Run(pipeline::Query{image_path, image, w.question, std::nullopt}, nullptr, nullptr));
  const double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (result.error.has_value()) return InternalError("the pinned workload did not parse: " + *result.error);
  const pipeline::Counts& n = result.counts;
  if (n.steps != 4 || n.object_evidence != 2 || n.text_evidence != 2 || n.model_calls != 4) {
    return InternalError("the workload needs 4 steps (2 object, 2 text) and 4 model calls; got " +
                         std::to_string(n.steps) + " steps, " + std::to_string(n.object_evidence) + " object, " +
                         std::to_string(n.text_evidence) + " text, " + std::to_string(n.model_calls) + " calls");
  }

  nlohmann::json out;
  out["model"] = model_dir;
  out["mode"] = naive ? "naive" : "optimized";
  out["lookup_draft_tokens"] = options.lookup_draft_tokens;
  out["threads"] = options.threads > 0 ? static_cast<int64_t>(options.threads)
                                       : static_cast<int64_t>(DefaultThreadCount());
  out["image"] = {{"path", image_path},
                  {"width", image.width},
                  {"height", image.height},
                  {"source_width", w.source_width},
                  {"source_height", w.source_height}};
  out["budgets"] = {{"reasoning", kReasoningTokens}, {"caption", kCaptionTokens}, {"synthesis", kSynthesisTokens}};
  out["wall_ms"] = wall_ms;
  for (const pipeline::PhaseTiming& t : result.timings) out["phases_ms"][t.phase] = t.ms;
  std::vector<int32_t> all_tokens;
  int64_t generated = 0, reused = 0, from_cache = 0, reasoning_prefix = 0, synthesis_reused = -1;
  for (const CallRecord& r : vlm.records()) {
    const Completion& c = r.completion;
    const Timings& t = c.timings;
    out["calls"].push_back({{"phase", r.phase},
                            {"step", r.step},
                            {"prompt_tokens", t.prompt_tokens},
                            {"generated_tokens", t.generated_tokens},
                            {"prefix_tokens_reused", c.prefix_tokens_reused},
                            {"images_from_cache", c.images_from_cache},
                            {"vision_ms", t.vision_ms},
                            {"prefill_ms", t.prefill_ms},
                            {"decode_ms", t.decode_ms},
                            {"tokens_sha", TokensHash(c.tokens)}});
    all_tokens.insert(all_tokens.end(), c.tokens.begin(), c.tokens.end());
    generated += t.generated_tokens;
    reused += c.prefix_tokens_reused;
    from_cache += c.images_from_cache;
    if (r.phase == "synthesis") synthesis_reused = c.prefix_tokens_reused;
  }
  CORGI_ASSIGN_OR_RETURN(reasoning_prefix, ImagePrefixTokens(*engine, vlm.reasoning_request()));
  const EngineStats s = engine->Stats();
  out["totals"] = {{"tokens_generated", generated},
                   {"prefix_tokens_reused", reused},
                   {"images_from_cache", from_cache},
                   {"images_encoded", s.images_encoded},
                   {"vision_passes", s.vision_passes},
                   {"vision_cache_hits", s.vision_cache.hits},
                   {"vision_cache_misses", s.vision_cache.misses},
                   {"decode_steps", s.decode_steps},
                   {"mean_decode_batch", s.decode_steps > 0 ? double(s.decode_rows) / s.decode_steps : 0.0},
                   {"draft_tokens", s.draft_tokens},
                   {"draft_tokens_accepted", s.draft_tokens_accepted},
                   {"longest_accepted_draft", s.longest_accepted_draft},
                   {"kv_peak_pages", s.kv.peak_pages},
                   {"kv_page_bytes", s.kv.page_bytes},
                   {"peak_rss_mb", PeakRssMb()}};
  out["image_prefix_tokens"] = reasoning_prefix;
  out["synthesis_image_prefix_reuse"] =
      synthesis_reused >= 0 && reasoning_prefix > 0 ? double(synthesis_reused) / reasoning_prefix : 0.0;
  out["tokens_sha"] = TokensHash(all_tokens);
  return out;
}

// Naive and optimized runs alternating (pair p runs naive first when p is even), so slow
// drift of the machine (other load, clocks, page cache) falls on both modes alike; a VM's
// run-to-run spread (±10 %) is why one pairing is not enough. Every run must generate
// the same tokens (tokens_sha), or the comparison fails.
StatusOr<nlohmann::json> Compare(const Workload& w, int64_t pairs) {
  nlohmann::json out, runs = nlohmann::json::array();
  std::map<std::string, std::vector<double>> walls;
  std::map<std::string, std::map<std::string, std::vector<double>>> phases;
  std::map<std::string, nlohmann::json> last;
  for (int64_t p = 0; p < pairs; ++p) {
    for (int i = 0; i < 2; ++i) {
      const bool naive = (p % 2 == 0) == (i == 0);
      CORGI_ASSIGN_OR_RETURN(nlohmann::json r, Run(w, naive));
      const std::string mode = r["mode"];
      std::fprintf(stderr, "pair %lld %s: %.0f ms\n", static_cast<long long>(p + 1), mode.c_str(),
                   r["wall_ms"].get<double>());
      walls[mode].push_back(r["wall_ms"]);
      for (auto& [phase, ms] : r["phases_ms"].items()) phases[mode][phase].push_back(ms);
      runs.push_back({{"pair", p + 1},
                      {"mode", mode},
                      {"wall_ms", r["wall_ms"]},
                      {"phases_ms", r["phases_ms"]},
                      {"tokens_sha", r["tokens_sha"]}});
      last[mode] = std::move(r);
    }
  }
  const std::string sha = last["naive"]["tokens_sha"];
  bool equal = true;
  for (const auto& r : runs) equal = equal && r["tokens_sha"] == sha;
  out["model"] = w.model_dir;
  out["mode"] = "compare";
  out["pairs"] = pairs;
  out["lookup_draft_tokens"] = last["optimized"]["lookup_draft_tokens"];
  out["threads"] = last["optimized"]["threads"];
  out["image"] = last["optimized"]["image"];
  out["budgets"] = last["optimized"]["budgets"];
  std::vector<double> pair_ratios;
  for (int64_t p = 0; p < pairs; ++p) pair_ratios.push_back(walls["optimized"][p] / walls["naive"][p]);
  for (const char* mode : {"naive", "optimized"}) {
    nlohmann::json m;
    m["wall_ms"] = walls[mode];
    m["wall_ms_median"] = Median(walls[mode]);
    for (auto& [phase, v] : phases[mode]) m["phases_ms_median"][phase] = Median(v);
    m["totals"] = last[mode]["totals"];
    m["calls"] = last[mode]["calls"];
    out[mode] = std::move(m);
  }
  out["ratio_of_medians"] = Median(walls["optimized"]) / Median(walls["naive"]);
  out["pair_ratios"] = pair_ratios;
  out["pair_ratio_median"] = Median(pair_ratios);
  out["image_prefix_tokens"] = last["optimized"]["image_prefix_tokens"];
  out["synthesis_image_prefix_reuse"] = last["optimized"]["synthesis_image_prefix_reuse"];
  out["tokens_sha"] = sha;
  out["tokens_equal"] = equal;
  out["peak_rss_mb"] = PeakRssMb();  // of the whole process: both modes
  out["runs"] = std::move(runs);
  return out;
}

}  // namespace

int BenchPipeline(int argc, char** argv) {
  FlagParser flags("corgi bench pipeline -m DIR [--naive | --compare [--pairs N]] [--image PATH] [flags]",
                   "The standard CoRGI workload (DESIGN.md) in optimized or naive mode; prints JSON.");
  std::string* dir = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME in the Hugging Face cache)");
  bool* naive = flags.Bool("naive", "no caches, one call at a time");
  bool* compare = flags.Bool("compare", "run naive and optimized alternately --pairs times; medians and their ratio");
  int64_t* pairs = flags.Int("pairs", 3, "with --compare: how many naive/optimized pairs");
  std::string* image = flags.String("image", "../shared/data/images/llama_cpp_mtmd/test-1.jpeg",
                                    "the image (resized to 1024x768 when it is another size)", "PATH");
  std::string* question = flags.String("question", "What is shown in this picture?", "the question", "TEXT");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: all cores)");
  std::string* weights = AddWeightsFlag(&flags);
  int64_t* lookup = flags.Int("lookup", -1, "prompt-lookup draft tokens per step (-1: the engine's default; 0: off)");
  std::string* out_file = flags.String("out", "", "also write the JSON here (atomically)", "FILE");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (dir->empty()) {
    std::fprintf(stderr, "error: -m/--model is required\n");
    return 2;
  }
  if (!ResolveModelFlag(dir)) return 1;
  if (*lookup < -1 || *lookup > 64) {
    std::fprintf(stderr, "error: --lookup must be in [-1, 64] (-1: the engine's default; 0: off)\n");
    return 2;
  }
  if (*compare && (*naive || *pairs < 1)) {
    std::fprintf(stderr, "error: --compare runs both modes (no --naive) and needs --pairs >= 1\n");
    return 2;
  }
  StatusOr<Workload> w = LoadWorkload(*dir, *image, *question, *threads, *lookup, *weights);
  StatusOr<nlohmann::json> j = !w.ok() ? StatusOr<nlohmann::json>(w.status()) : *compare ? Compare(*w, *pairs) : Run(*w, *naive);
  if (!j.ok()) {
    std::fprintf(stderr, "error: %s\n", j.status().ToString().c_str());
    return 1;
  }
  const std::string text = j->dump(2) + "\n";
  std::fputs(text.c_str(), stdout);
  if (!out_file->empty()) {
    Status s = WriteFileAtomically(*out_file, text);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (*compare && !(*j)["tokens_equal"].get<bool>()) {
    std::fprintf(stderr, "error: the runs generated different tokens (see runs[].tokens_sha)\n");
    return 1;
  }
  return 0;
}

}  // namespace corgi::cli
