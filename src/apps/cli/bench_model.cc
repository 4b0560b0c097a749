// corgi bench model: vision encode, prefill and decode speed of a checkpoint, with the
// machine's measured limits (streaming read bandwidth, matmul throughput) in the same run
// so every number has a ratio against what the hardware can do (DESIGN.md "Benchmarks").
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "apps/cli/bench_kinds.h"
#include "apps/cli/flags.h"
#include "apps/cli/load_model.h"
#include "apps/cli/model_path.h"
#include "corgi/backend/ops.h"
#include "corgi/engine/prompt.h"
#include "corgi/image/preprocess.h"
#include "corgi/model/registry.h"

namespace corgi::cli {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The machine's streaming read bandwidth, measured as the decode kernels read weights: all
// threads sum disjoint parts of a buffer far beyond any cache with ops::ReadSum (vector loads
// of whole lines in several streams per thread; a scalar 8-byte-load loop kept fewer lines
// in flight and read 20 % less on a 2-core AMD EPYC). The buffer asks for 2 MiB pages
// (MADV_HUGEPAGE), as the checkpoint mapping does (core/mapped_file.cc): on 4 KiB pages the
// same read took 4 % longer there, which would judge the decode against a limit below the
// machine's.
class ReadProbe {
 public:
  static constexpr size_t kBytes = size_t{1} << 30;
  static constexpr size_t kPage = size_t{2} << 20;

  // Null when the buffer cannot be mapped.
  static std::unique_ptr<ReadProbe> Create(ThreadPool* pool) {
    void* p = ::mmap(nullptr, kBytes + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    return std::unique_ptr<ReadProbe>(new ReadProbe(pool, p));
  }
  ~ReadProbe() { ::munmap(map_, kBytes + kPage); }
  ReadProbe(const ReadProbe&) = delete;
  ReadProbe& operator=(const ReadProbe&) = delete;

  // Reads the first `bytes` of the buffer (at most all of it) once; returns the seconds.
  double Read(size_t bytes) {
    const auto n = static_cast<int64_t>(std::min(bytes, kBytes) / sizeof(float));
    const auto t = Clock::now();
    sink_ = sink_ + ops::ReadSum(data_, n, pool_);
    return Seconds(t);
  }

  // GB/s of the best of three whole-buffer reads.
  double Best() {
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) best = std::max(best, static_cast<double>(kBytes) / Read(kBytes) / 1e9);
    return best;
  }

 private:
  ReadProbe(ThreadPool* pool, void* map) : pool_(pool), map_(map) {
    const auto aligned = (reinterpret_cast<uintptr_t>(map) + kPage - 1) / kPage * kPage;
    data_ = reinterpret_cast<float*>(aligned);
    ::madvise(data_, kBytes, MADV_HUGEPAGE);  // a hint: 4 KiB pages still work
    const size_t n = kBytes / sizeof(float);
    pool_->ParallelFor(n, [this](size_t b, size_t e, size_t) {
      for (size_t i = b; i < e; ++i) data_[i] = static_cast<float>(i & 1023);
    });
  }

  ThreadPool* pool_;
  void* map_;
  float* data_ = nullptr;
  volatile float sink_ = 0;
};

// Matmul throughput of the backend on a prefill-shaped f32 problem (GFLOP/s, best of 3).
double MeasureMatmulGflops(ThreadPool* pool) {
  const int64_t m = 512, k = 2048, n = 2048;
  std::vector<float> x(m * k, 0.5f), w(n * k, 0.25f), y(m * n);
  TensorView wv(w.data(), DType::kF32, Shape{n, k});
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto t = Clock::now();
    ops::MatMul(x.data(), m, wv, TensorView(), y.data(), pool);
    best = std::max(best, 2.0 * m * n * k / Seconds(t) / 1e9);
  }
  return best;
}

// A deterministic test pattern of the given size.
RgbImage Pattern(int64_t h, int64_t w) {
  RgbImage img = RgbImage::Make(h, w);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      uint8_t* px = img.At(y, x);
      px[0] = static_cast<uint8_t>((x * 7 + y) & 255);
      px[1] = static_cast<uint8_t>((y * 5) & 255);
      px[2] = static_cast<uint8_t>((x ^ y) & 255);
    }
  return img;
}

StatusOr<nlohmann::json> BenchVision(const LoadedModel& model, int64_t h, int64_t w, ThreadPool* pool) {
  CORGI_ASSIGN_OR_RETURN(const VisionPreprocessParams params, model.PreprocessParams());
  CORGI_ASSIGN_OR_RETURN(PreprocessedImage pre, PreprocessImage(Pattern(h, w), params, pool));
  ImageGrid grid{pre.grid_t, pre.grid_h, pre.grid_w};
  auto t = Clock::now();
  CORGI_ASSIGN_OR_RETURN(VisionOutput out,
                         model.EncodeImages(pre.pixel_values.data(), std::span(&grid, 1), pool, nullptr));
  const double s = Seconds(t);
  return nlohmann::json{{"image", std::to_string(w) + "x" + std::to_string(h)},
                        {"patches", pre.num_patches()},
                        {"tokens", out.tokens},
                        {"ms", s * 1e3}};
}

// Text-only prefill of `n` tokens (positions 0..n-1) into one sequence, then `decode`
// steps of `batch` sequences together (the others start from copies of the first's KV).
struct TextTiming {
  double prefill_s = 0, decode_s = 0;
};
// `between_steps`, when given, runs after every decode step, outside the timed part.
StatusOr<TextTiming> RunText(const LoadedModel& model, int64_t n, int64_t decode, int64_t batch, int64_t chunk,
                             ThreadPool* pool, const std::function<void()>& between_steps = nullptr) {
  const TextShape& c = model.text_shape();
  const int64_t d = c.hidden, v = c.vocab, page_rows = 64;
  std::vector<int32_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((i * 7919) % 150000);
  std::vector<float> embeds(std::max(n, batch) * d), logits(batch * v);
  CORGI_RETURN_IF_ERROR(model.Embed(ids, embeds.data(), pool));
  const int64_t pages_per_seq = (n + decode + page_rows) / page_rows;
  KvPagePool kv(c.layers, c.kv_heads, c.head_dim, page_rows, pages_per_seq * batch);
  std::vector<KvSequence> seqs(batch);
  for (auto& seq : seqs)
    for (int64_t p = 0; p < pages_per_seq; ++p) seq.pages.push_back(kv.Allocate());
  std::unique_ptr<TextScratch> scratch = model.NewTextScratch();
  TextTiming t;
  auto start = Clock::now();
  std::vector<int32_t> pos;
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t len = std::min(chunk, n - b);
    pos.resize(3 * len);
    for (int a = 0; a < 3; ++a)
      for (int64_t i = 0; i < len; ++i) pos[a * len + i] = static_cast<int32_t>(b + i);
    TextBatch step;
    step.embeds = embeds.data() + b * d;
    step.positions = pos.data();
    step.segments = {{&seqs[0], len}};
    const int64_t last[] = {len - 1};
    if (b + len == n) step.logit_rows = last;
    CORGI_RETURN_IF_ERROR(model.ForwardText(step, &kv, scratch.get(), logits.data(), pool, nullptr));
  }
  t.prefill_s = Seconds(start);
  for (int64_t s = 1; s < batch; ++s) {
    for (int64_t p = 0; p < pages_per_seq; ++p) kv.CopyRows(seqs[0].pages[p], seqs[s].pages[p], page_rows);
    seqs[s].length = seqs[0].length;
    std::copy_n(logits.data(), v, logits.data() + s * v);
  }
  std::vector<int32_t> tokens(batch);
  std::vector<int64_t> rows(batch);
  pos.resize(3 * batch);
  for (int64_t step = 0; step < decode; ++step) {
    start = Clock::now();
    TextBatch one;
    for (int64_t s = 0; s < batch; ++s) {
      tokens[s] = static_cast<int32_t>(ops::Argmax(logits.data() + s * v, model.sampleable_vocab()));
      for (int a = 0; a < 3; ++a) pos[a * batch + s] = static_cast<int32_t>(seqs[s].length);
      rows[s] = s;
      one.segments.push_back({&seqs[s], 1});
    }
    CORGI_RETURN_IF_ERROR(model.Embed(tokens, embeds.data(), nullptr));
    one.embeds = embeds.data();
    one.positions = pos.data();
    one.logit_rows = rows;
    CORGI_RETURN_IF_ERROR(model.ForwardText(one, &kv, scratch.get(), logits.data(), pool, nullptr));
    t.decode_s += Seconds(start);
    if (between_steps) between_steps();
  }
  return t;
}

// Bytes a decode step must read: every text weight once (decoder, final norm, lm_head)
// plus the KV cache of `context` tokens (f32 K and V) for each of `batch` sequences.
double DecodeBytes(const LoadedModel& model, int64_t context, int64_t batch) {
  const TextShape& t = model.text_shape();
  return static_cast<double>(model.DecodeWeightBytes()) + 2.0 * batch * t.layers * context * t.kv_row_width() * 4;
}

// A comma-separated list of integers ("" is an empty list); false, with a message on stderr,
// when an item is not a whole integer.
bool ParseList(const char* flag, const std::string& text, std::vector<int64_t>* out) {
  out->clear();
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE) {
      std::fprintf(stderr, "error: --%s: '%s' is not an integer\n", flag, item.c_str());
      return false;
    }
    out->push_back(v);
  }
  return true;
}

}  // namespace

int BenchModel(int argc, char** argv) {
  FlagParser flags("corgi bench model -m DIR [flags]",
                   "Vision encode, prefill and decode speed, with measured machine limits; prints JSON.");
  std::string* dir = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME in the Hugging Face cache)");
  std::string* images = flags.String("images", "448x448,1024x768,1920x1080", "vision sizes WxH, comma separated");
  std::string* prefill = flags.String("prefill", "512,2048", "prefill lengths");
  int64_t* context = flags.Int("decode-context", 1024, "context length for the decode measurement");
  int64_t* decode_tokens = flags.Int("decode-tokens", 16, "decode steps to time");
  std::string* decode_batches = flags.String("decode-batches", "1,4,8", "sequences decoded together, comma separated");
  int64_t* chunk = flags.Int("prefill-chunk", 512, "prefill chunk size");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: all cores)");
  std::string* weights = AddWeightsFlag(&flags);
  // Sizes are checked before anything is loaded: a zero chunk would never end the prefill
  // loop, and a negative length would ask for a vector of 2^64 elements.
  constexpr int64_t kMaxTokens = int64_t{1} << 20;
  auto token_count_problem = [](int64_t v) {
    return v >= 1 && v <= kMaxTokens ? std::string()
                                     : "must be in [1, " + std::to_string(kMaxTokens) + "], got " + std::to_string(v);
  };
  for (const char* name : {"decode-context", "decode-tokens", "prefill-chunk"}) flags.Check(name, token_count_problem);
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (dir->empty()) {
    std::fprintf(stderr, "error: -m/--model is required\n");
    return 2;
  }
  std::vector<int64_t> prefill_lengths, batches;
  if (!ParseList("prefill", *prefill, &prefill_lengths) || !ParseList("decode-batches", *decode_batches, &batches))
    return 2;
  for (int64_t n : prefill_lengths) {
    if (const std::string problem = token_count_problem(n); !problem.empty()) {
      std::fprintf(stderr, "error: --prefill %s\n", problem.c_str());
      return 2;
    }
  }
  for (int64_t batch : batches) {
    if (batch < 1 || batch > 256) {
      std::fprintf(stderr, "error: decode batch %ld outside [1, 256]\n", static_cast<long>(batch));
      return 2;
    }
  }
  if (!ResolveModelFlag(dir)) return 1;
  StatusOr<std::unique_ptr<ThreadPool>> created = ThreadPool::Create(static_cast<size_t>(*threads));
  if (!created.ok()) {
    std::fprintf(stderr, "error: %s\n", created.status().ToString().c_str());
    return 1;
  }
  StatusOr<std::unique_ptr<LoadedModel>> model = LoadModelWithWeights(*dir, *weights, created->get());
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().ToString().c_str());
    return 1;
  }
  const int64_t max_positions = (*model)->text_shape().max_positions;
  int64_t longest = *context + *decode_tokens;
  for (int64_t n : prefill_lengths) longest = std::max(longest, n);
  if (max_positions > 0 && longest > max_positions) {
    std::fprintf(stderr, "error: %ld positions asked for; the model has %ld (max_position_embeddings)\n",
                 static_cast<long>(longest), static_cast<long>(max_positions));
    return 2;
  }
  ThreadPool& pool = **created;
  nlohmann::json out;
  out["model"] = *dir;
  out["threads"] = pool.num_threads();
  out["weights"] = *weights;
  out["weight_formats"] = (*model)->weight_formats();
  out["kernels"] = ops::KernelPathName(ops::ActiveKernelPath());
  out["bf16_dot"] = ops::Bf16DotEnabled();  // CORGI_BF16_DOT=1: bf16-weight matmuls use vdpbf16ps
  std::unique_ptr<ReadProbe> probe = ReadProbe::Create(&pool);
  if (probe == nullptr) {
    std::fprintf(stderr, "error: cannot map the 1 GiB buffer of the bandwidth probe\n");
    return 1;
  }
  const double bandwidth = probe->Best();
  const double gflops = MeasureMatmulGflops(&pool);
  out["machine"] = {{"read_bandwidth_gb_per_s", bandwidth}, {"matmul_f32_gflop_per_s", gflops}};

  for (const std::string& size : [&] {
         std::vector<std::string> v;
         std::stringstream ss(*images);
         std::string s;
         while (std::getline(ss, s, ',')) v.push_back(s);
         return v;
       }()) {
    int64_t w = 0, h = 0;
    if (std::sscanf(size.c_str(), "%ldx%ld", &w, &h) != 2 || w <= 0 || h <= 0) {
      std::fprintf(stderr, "error: bad image size '%s' (use WxH)\n", size.c_str());
      return 2;
    }
    StatusOr<nlohmann::json> v = BenchVision(**model, h, w, &pool);
    if (!v.ok()) {
      std::fprintf(stderr, "error: %s\n", v.status().ToString().c_str());
      return 1;
    }
    out["vision"].push_back(*v);
  }
  for (int64_t n : prefill_lengths) {
    StatusOr<TextTiming> t = RunText(**model, n, 0, 1, *chunk, &pool);
    if (!t.ok()) {
      std::fprintf(stderr, "error: %s\n", t.status().ToString().c_str());
      return 1;
    }
    out["prefill"].push_back({{"tokens", n}, {"ms", t->prefill_s * 1e3}, {"tokens_per_s", n / t->prefill_s}});
  }
  for (int64_t batch : batches) {
    // The bandwidth a shared VM offers drifts by ±20 % over minutes and seconds (other
    // tenants), so the probe that judges a decode run is interleaved with it: after every
    // step, one read of as many bytes as the step reads (at least 256 MiB, so it streams from
    // memory; at most the 1 GiB buffer). Steps and reads then share the same seconds, and the
    // efficiency is the ratio of their mean rates. machine.read_bandwidth_gb_per_s, taken at
    // the start, can be minutes older than a decode entry. The reads evict the caches between
    // steps, which costs nothing where a step streams its weights from memory anyway (every
    // real checkpoint) but slows a checkpoint small enough to stay cached.
    const double bytes = DecodeBytes(**model, *context + *decode_tokens / 2, batch);
    const auto probe_bytes = std::clamp<size_t>(static_cast<size_t>(bytes), size_t{256} << 20, ReadProbe::kBytes);
    double probe_s = 0;
    StatusOr<TextTiming> t = RunText(**model, *context, *decode_tokens, batch, *chunk, &pool,
                                     [&] { probe_s += probe->Read(probe_bytes); });
    if (!t.ok()) {
      std::fprintf(stderr, "error: %s\n", t.status().ToString().c_str());
      return 1;
    }
    const double bandwidth_now = static_cast<double>(probe_bytes) * static_cast<double>(*decode_tokens) / probe_s / 1e9;
    const double per_step = t->decode_s / static_cast<double>(*decode_tokens);
    out["decode"].push_back({{"batch", batch},
                             {"context", *context},
                             {"steps", *decode_tokens},
                             {"ms_per_step", per_step * 1e3},
                             {"tokens_per_s", batch / per_step},
                             {"bytes_per_step", bytes},
                             {"read_bandwidth_gb_per_s", bandwidth_now},
                             {"probe_bytes_per_step", probe_bytes},
                             {"efficiency", bytes / per_step / 1e9 / bandwidth_now}});
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace corgi::cli
