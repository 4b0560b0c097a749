// `corgi bench serve`: the standard CoRGI workload (bench_workload.h) as a service sees it
// — M queries from N concurrent clients against the same M queries one at a time, on one
// loaded model, each mode on a fresh engine. Each query has its own image (the workload
// image with a sparse pattern of pixels changed), so no query rides on another's vision or
// prefix cache entries and what concurrency gains is batching: the decode steps of
// different queries run as one step. Clients call the pipeline in-process through the engine's scheduler,
// exactly what `corgi serve` does behind its HTTP threads (which only parse and enqueue).
// Prints JSON: throughput (queries per minute), p50/p95 latency, mean decode batch, and
// whether every query generated the same tokens in both modes (batch invariance).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>

#include "apps/cli/bench_kinds.h"
#include "apps/cli/bench_workload.h"
#include "apps/cli/flags.h"
#include "apps/cli/load_model.h"
#include "apps/cli/model_path.h"
#include "corgi/core/mapped_file.h"
#include "corgi/core/thread_pool.h"
#include "corgi/image/decode.h"
#include "corgi/model/registry.h"
#include "corgi/image/resize.h"
#include "corgi/pipeline/ocr.h"
#include "corgi/pipeline/pipeline.h"

namespace corgi::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Nearest-rank percentile of `v` (0 < p <= 100).
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// Query q's image: the workload image with a sparse dot pattern (one pixel in 251) whose
// colour encodes q, so every crop of it differs from other queries' crops too and no
// query takes vision-cache or prefix-cache entries from another.
RgbImage QueryImage(const RgbImage& base, int64_t q) {
  RgbImage img = base;
  for (int64_t y = 0; y < img.height; ++y) {
    for (int64_t x = 0; x < img.width; ++x) {
      if ((x * 7 + y * 13) % 251 != 0) continue;
      uint8_t* p = img.At(y, x);
      p[0] = static_cast<uint8_t>(q & 255);
      p[1] = static_cast<uint8_t>((q >> 8) & 255);
      p[2] = static_cast<uint8_t>(255 - (q & 255));
    }
  }
  return img;
}

struct ModeResult {
  nlohmann::json json;
  std::vector<std::string> query_sha;  // per query: hash of its tokens in call order
};

StatusOr<ModeResult> RunMode(const LoadedModel& model, const std::string& model_dir,
                             const std::vector<RgbImage>& images, const std::string& question,
                             int64_t clients, int64_t threads, int64_t lookup, pipeline::OcrEngine* ocr) {
  EngineOptions options;
  options.threads = threads;
  if (lookup >= 0) options.lookup_draft_tokens = lookup;
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(&model, options));
  pipeline::LocalVlm local(engine.get(), pipeline::LocalVlmOptions{model_dir});
  const pipeline::PipelineConfig config = bench::WorkloadConfig();
  const int64_t m = static_cast<int64_t>(images.size());
  std::vector<double> latency_ms(m, 0);
  std::vector<std::string> sha(m);
  std::vector<Status> failures(m);
  std::atomic<int64_t> next{0};
  const auto t0 = Clock::now();
  auto client = [&] {
    for (int64_t q = next++; q < m; q = next++) {
      bench::WorkloadVlm vlm(&local);
      pipeline::Pipeline pipe(&vlm, ocr, config);
      const auto start = Clock::now();
      StatusOr<pipeline::Result> r =
          pipe.Run(pipeline::Query{"query-" + std::to_string(q), images[q], question}, nullptr, nullptr);
      latency_ms[q] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!r.ok()) {
        failures[q] = r.status();
      } else if (r->error) {
        failures[q] = InternalError("the pinned workload did not parse: " + *r->error);
      }
      std::vector<int32_t> tokens;
      for (const bench::CallRecord& c : vlm.records())
        tokens.insert(tokens.end(), c.completion.tokens.begin(), c.completion.tokens.end());
      sha[q] = bench::TokensHash(tokens);
    }
  };
  std::vector<std::thread> pool;
  std::string refused;  // why the system would not start a client thread
  try {
    for (int64_t c = 0; c < clients; ++c) pool.emplace_back(client);
  } catch (const std::system_error& e) {
    refused = e.what();  // the clients that did start still finish the queries
  }
  for (std::thread& t : pool) t.join();
  if (!refused.empty())
    return ResourceExhaustedError("cannot start " + std::to_string(clients) + " client threads (the system refused after " +
                                  std::to_string(pool.size()) + ": " + refused + "); lower --clients");
  const double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  for (int64_t q = 0; q < m; ++q)
    if (!failures[q].ok()) return failures[q].WithContext("query " + std::to_string(q));
  const EngineStats s = engine->Stats();
  ModeResult out;
  out.query_sha = sha;
  out.json = {{"clients", clients},
              {"queries", m},
              {"wall_ms", wall_ms},
              {"queries_per_minute", m * 60000.0 / wall_ms},
              {"latency_ms", latency_ms},
              {"latency_p50_ms", Percentile(latency_ms, 50)},
              {"latency_p95_ms", Percentile(latency_ms, 95)},
              {"decode_steps", s.decode_steps},
              {"mean_decode_batch", s.decode_steps > 0 ? double(s.decode_rows) / s.decode_steps : 0.0},
              {"max_decode_batch", s.max_decode_batch},
              {"mean_decode_rows", s.decode_steps > 0 ? double(s.decode_fed_rows) / s.decode_steps : 0.0},
              {"engine_ms", {{"vision", s.vision_ms}, {"prefill", s.prefill_ms}, {"decode", s.decode_ms}}},
              {"vision_passes", s.vision_passes},
              {"tokens_generated", s.generated_tokens},
              {"kv_peak_pages", s.kv.peak_pages}};
  return out;
}

}  // namespace

int BenchServe(int argc, char** argv) {
  FlagParser flags("corgi bench serve -m DIR [--clients N] [--queries M] [flags]",
                   "The standard CoRGI workload as a service: M queries from N concurrent clients\n"
                   "against the same queries one at a time, on one loaded model; prints JSON.");
  std::string* dir = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME in the Hugging Face cache)");
  int64_t* clients = flags.Int("clients", 4, "concurrent clients", "N");
  int64_t* queries = flags.Int("queries", 8, "queries in each mode (each with its own image)", "M");
  std::string* image = flags.String("image", "../shared/data/images/llama_cpp_mtmd/test-1.jpeg",
                                    "the workload image (resized to 1024x768 when it is another size)", "PATH");
  std::string* question = flags.String("question", "What is shown in this picture?", "the question", "TEXT");
  int64_t* threads = AddThreadsFlag(&flags, "engine threads (0: all cores)");
  int64_t* lookup = flags.Int("lookup", -1, "prompt-lookup draft tokens per step (-1: the engine's default; 0: off)");
  std::string* weights = AddWeightsFlag(&flags);
  std::string* out_file = flags.String("out", "", "also write the JSON here (atomically)", "FILE");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (dir->empty() || *clients < 1 || *clients > 64 || *queries < 1 || *lookup < -1 || *lookup > 64) {
    std::fprintf(stderr, "error: -m/--model is required, --clients in [1, 64], --queries >= 1, --lookup in [-1, 64]\n");
    return 2;
  }
  if (!ResolveModelFlag(dir)) return 1;
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  };
  StatusOr<RgbImage> base = DecodeImageFile(*image);
  if (!base.ok()) return fail(base.status().WithContext(*image));
  if (base->width != 1024 || base->height != 768) {
    base = ResizeBicubic(*base, 768, 1024, ResamplePrecision::kTorchvision, nullptr);
    if (!base.ok()) return fail(base.status());
  }
  std::vector<RgbImage> images;
  for (int64_t q = 0; q < *queries; ++q) images.push_back(QueryImage(*base, q));
  StatusOr<std::unique_ptr<ThreadPool>> load_pool = ThreadPool::Create(static_cast<size_t>(*threads));
  if (!load_pool.ok()) return fail(load_pool.status());
  StatusOr<std::unique_ptr<LoadedModel>> model = LoadModelWithWeights(*dir, *weights, load_pool->get());
  load_pool->reset();
  if (!model.ok()) return fail(model.status().WithContext("loading model '" + *dir + "'"));
  pipeline::OcrOptions ocr_options;
  StatusOr<std::unique_ptr<pipeline::OcrEngine>> ocr = pipeline::CreateTesseractEngine(ocr_options);
  if (!ocr.ok()) return fail(ocr.status());

  nlohmann::json out;
  out["model"] = *dir;
  out["threads"] = *threads > 0 ? *threads : static_cast<int64_t>(DefaultThreadCount());
  out["lookup_draft_tokens"] = *lookup >= 0 ? *lookup : EngineOptions{}.lookup_draft_tokens;
  out["budgets"] = {{"reasoning", bench::kReasoningTokens},
                    {"caption", bench::kCaptionTokens},
                    {"synthesis", bench::kSynthesisTokens}};
  std::vector<std::string> sha[2];
  const char* names[2] = {"sequential", "concurrent"};
  const int64_t counts[2] = {1, *clients};
  for (int i = 0; i < 2; ++i) {
    std::fprintf(stderr, "%s: %lld queries, %lld client(s)...\n", names[i], static_cast<long long>(*queries),
                 static_cast<long long>(counts[i]));
    StatusOr<ModeResult> r = RunMode(**model, *dir, images, *question, counts[i], *threads, *lookup, ocr->get());
    if (!r.ok()) return fail(r.status());
    std::fprintf(stderr, "%s: %.0f ms, %.2f queries/min\n", names[i], r->json["wall_ms"].get<double>(),
                 r->json["queries_per_minute"].get<double>());
    out[names[i]] = r->json;
    sha[i] = r->query_sha;
  }
  out["throughput_ratio"] =
      out["concurrent"]["queries_per_minute"].get<double>() / out["sequential"]["queries_per_minute"].get<double>();
  out["tokens_equal"] = sha[0] == sha[1];
  out["peak_rss_mb"] = bench::PeakRssMb();
  const std::string text = out.dump(2) + "\n";
  std::fputs(text.c_str(), stdout);
  if (!out_file->empty()) {
    Status s = WriteFileAtomically(*out_file, text);
    if (!s.ok()) return fail(s);
  }
  if (!out["tokens_equal"].get<bool>()) {
    std::fprintf(stderr, "error: a query generated different tokens alone and among others\n");
    return 1;
  }
  return 0;
}

}  // namespace corgi::cli
