// Microbenchmarks for the CPU kernels (not a test; run by hand, see docs/PERFORMANCE.md):
//   build-be/src/backend/backend_bench --benchmark_counters_tabular=true
// Shapes are Qwen3-VL-2B's: hidden 2048, MLP 6144.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/aligned_buffer.h"
#include "corgi/core/half.h"
#include "corgi/core/quant_format.h"
#include "corgi/core/thread_pool.h"

namespace corgi::ops::bench {
float PeakFmaAvx512(int64_t iters);
}

namespace corgi::ops {
namespace {

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

struct Weights {
  AlignedBuffer buffer;
  TensorView view;
  Weights(DType dt, int64_t n, int64_t k) : buffer(static_cast<size_t>(n * k) * DTypeSize(dt)) {
    std::vector<float> v = Random(n * k, 1);
    ConvertFromF32(v.data(), n * k, dt, buffer.data());
    view = TensorView(buffer.data(), dt, Shape{n, k});
  }
};

// state.range(0): M; range(1): dtype (0 f32, 1 bf16, 2 f16); range(2): threads.
void BM_MatMul(benchmark::State& state) {
  const int64_t m = state.range(0), k = 2048, n = 6144;
  const DType dt = state.range(1) == 0   ? DType::kF32
                   : state.range(1) == 1 ? DType::kBF16
                                         : DType::kF16;
  ThreadPool pool(static_cast<size_t>(state.range(2)));
  Weights w(dt, n, k);
  std::vector<float> x = Random(m * k, 2), y(static_cast<size_t>(m * n));
  for (auto _ : state) {
    MatMul(x.data(), m, w.view, {}, y.data(), &pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * m * n * k * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["weight_GBs"] = benchmark::Counter(
      static_cast<double>(w.view.bytes()) * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(KernelPathName(ActiveKernelPath())) + " " + DTypeName(dt));
}
BENCHMARK(BM_MatMul)
    ->ArgNames({"M", "dtype", "threads"})
    ->Args({1, 1, 1})
    ->Args({1, 1, 2})
    ->Args({1, 0, 2})
    ->Args({4, 1, 2})
    ->Args({8, 1, 2})
    ->Args({512, 0, 1})
    ->Args({512, 0, 2})
    ->Args({512, 1, 1})
    ->Args({512, 1, 2})
    ->Args({512, 2, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A packed kQ8/kQ6/kQ4 weight with random quants and codes and fixed scales: the bytes, not
// their values, decide the speed, and packing 300M weights with QuantizeWeights would take
// minutes.
struct PackedWeights {
  AlignedBuffer buffer;
  TensorView view;
  PackedWeights(DType format, int64_t n, int64_t k)
      : buffer(static_cast<size_t>(quant::PackedBytes(format, n, k))) {
    std::mt19937 rng(3);
    auto* p = buffer.as<uint8_t>();
    for (size_t i = 0; i < buffer.size(); ++i) {
      p[i] = static_cast<uint8_t>(rng() | (format == DType::kQ8 ? 1u : 0u));  // q8: no -128
    }
    const uint16_t scale = F32ToF16(0.01f);
    const int64_t panel_bytes = quant::PanelBytes(format, k), blocks = quant::Blocks(k);
    for (int64_t panel = 0; panel < quant::Panels(n); ++panel) {
      uint8_t* base = p + panel * panel_bytes;
      for (int64_t b = 0; b < blocks; ++b) {
        // kQ6/kQ4: the group's D (and M); kQ8: the block's scales (always finite).
        const bool grouped = quant::HeaderBytes(format) > 0;
        if (grouped && b % quant::kGroupBlocks != 0) continue;
        uint8_t* at = base + (grouped ? quant::HeaderOffset(format, b) : quant::BlockOffset(format, b));
        const int64_t count = grouped ? quant::HeaderBytes(format) / 2 : quant::kPanelRows;
        for (int64_t c = 0; c < count; ++c) std::memcpy(at + 2 * c, &scale, 2);
      }
    }
    view = TensorView(buffer.data(), format, Shape{n, k});
  }
};

// Quantized (and bf16, for comparison) matmul at Qwen3-VL-2B's shapes.
// range(0): M; range(1): weight (0 q8, 1 q4, 2 bf16, 3 q6); range(2): shape (0 [6144, 2048] up/gate,
// 1 [2048, 6144] down, 2 [151936, 2048] lm_head); range(3): threads.
void BM_QMatMul(benchmark::State& state) {
  static constexpr int64_t kShapes[3][2] = {{6144, 2048}, {2048, 6144}, {151936, 2048}};
  const int64_t m = state.range(0), n = kShapes[state.range(2)][0], k = kShapes[state.range(2)][1];
  constexpr DType kWeights[] = {DType::kQ8, DType::kQ4, DType::kBF16, DType::kQ6};
  const DType dt = kWeights[state.range(1)];
  ThreadPool pool(static_cast<size_t>(state.range(3)));
  Weights float_w(dt == DType::kBF16 ? dt : DType::kF32, dt == DType::kBF16 ? n : 0, k);
  PackedWeights packed_w(dt == DType::kBF16 ? DType::kQ8 : dt, dt == DType::kBF16 ? 0 : n, k);
  const TensorView w = dt == DType::kBF16 ? float_w.view : packed_w.view;
  std::vector<float> x = Random(m * k, 2), y(static_cast<size_t>(m * n));
  for (auto _ : state) {
    MatMul(x.data(), m, w, {}, y.data(), &pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * m * n * k * iters / 1e9, benchmark::Counter::kIsRate);
  const double bytes = dt == DType::kBF16 ? static_cast<double>(w.bytes())
                                          : static_cast<double>(quant::PackedBytes(dt, n, k));
  state.counters["weight_GBs"] = benchmark::Counter(bytes * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(KernelPathName(ActiveKernelPath())) + " " + DTypeName(dt));
}
BENCHMARK(BM_QMatMul)
    ->ArgNames({"M", "w", "shape", "threads"})
    ->ArgsProduct({{1}, {0, 1, 2, 3}, {0, 1, 2}, {1, 2}})
    ->ArgsProduct({{512}, {0, 1, 2, 3}, {0, 1}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One decoder layer of Qwen3-VL-2B as decode runs it at M = 1: q/k/v as one pass, o,
// gate/up as one pass, down.
struct DecodeLayer {
  static constexpr int64_t kHidden = 2048, kMlp = 6144;
  explicit DecodeLayer(DType dt)
      : qkv{dt, 4096, kHidden}, o{dt, kHidden, kHidden}, gate_up{dt, 2 * kMlp, kHidden}, down{dt, kHidden, kMlp} {}
  PackedWeights qkv, o, gate_up, down;

  std::array<const PackedWeights*, 4> passes() const { return {&qkv, &o, &gate_up, &down}; }
};

// A decode step's 28 layers in one format, all distinct (~690 MB in Q4) so nothing stays in
// cache between steps.
struct DecodeStep {
  std::vector<std::unique_ptr<DecodeLayer>> layers;
  double bytes = 0;

  explicit DecodeStep(DType dt) {
    for (int l = 0; l < 28; ++l) {
      layers.push_back(std::make_unique<DecodeLayer>(dt));
      for (const PackedWeights* w : layers.back()->passes()) bytes += static_cast<double>(w->buffer.size());
    }
  }
  // x: [2048 or 6144] floats; y: room for [12288].
  void Run(const float* x, float* y, ThreadPool* pool) const {
    for (const auto& l : layers)
      for (const PackedWeights* w : l->passes()) {
        MatMul(x, 1, w->view, {}, y, pool);
        benchmark::DoNotOptimize(y);
      }
  }
};

// One decode step's weight stream in q4. Against BM_QMatMul's single large matrix this shows
// what the many shorter passes (each with its own start, barrier and stream ramp) cost.
// range(0): threads.
void BM_QMatMulDecodeLayers(benchmark::State& state) {
  ThreadPool pool(static_cast<size_t>(state.range(0)));
  const DecodeStep step(DType::kQ4);
  std::vector<float> x = Random(DecodeLayer::kMlp, 2), y(static_cast<size_t>(2 * DecodeLayer::kMlp));
  for (auto _ : state) step.Run(x.data(), y.data(), &pool);
  state.counters["weight_GBs"] =
      benchmark::Counter(step.bytes * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(KernelPathName(ActiveKernelPath())) + " Q4");
}
BENCHMARK(BM_QMatMulDecodeLayers)->ArgNames({"threads"})->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// How close each format's decode stream comes to a plain read of as many bytes, measured so
// that the VM's bandwidth drift (±15 % over minutes) cancels: one iteration is one decode
// step (DecodeStep) in Q4, Q6 or Q8, or an ops::ReadSum of a buffer the size of the Q4
// step, in rotation, so all four see the same minutes. Counters: each format's weight GB/s
// and its fraction of the read's. 2 threads; ~3.7 GB.
void BM_QMatMulStreamVsRead(benchmark::State& state) {
  constexpr DType kFormats[3] = {DType::kQ4, DType::kQ6, DType::kQ8};
  ThreadPool pool(2);
  const DecodeStep steps[3] = {DecodeStep(kFormats[0]), DecodeStep(kFormats[1]), DecodeStep(kFormats[2])};
  const int64_t floats = static_cast<int64_t>(steps[0].bytes / sizeof(float));
  AlignedBuffer flat(static_cast<size_t>(floats) * sizeof(float));
  std::memset(flat.data(), 1, flat.size());
  std::vector<float> x = Random(DecodeLayer::kMlp, 2), y(static_cast<size_t>(2 * DecodeLayer::kMlp));
  double seconds[4] = {0, 0, 0, 0};  // Q4, Q6, Q8, the read
  int64_t runs[4] = {0, 0, 0, 0};
  int64_t it = 0;
  for (auto _ : state) {
    const int s = static_cast<int>(it++ % 4);
    const auto t0 = std::chrono::steady_clock::now();
    if (s == 3) {
      benchmark::DoNotOptimize(ReadSum(flat.as<float>(), floats, &pool));
    } else {
      steps[s].Run(x.data(), y.data(), &pool);
    }
    seconds[s] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++runs[s];
  }
  const double read_gbs = static_cast<double>(flat.size()) * static_cast<double>(runs[3]) / seconds[3] / 1e9;
  state.counters["read_GBs"] = read_gbs;
  for (int s = 0; s < 3; ++s) {
    const double gbs = steps[s].bytes * static_cast<double>(runs[s]) / seconds[s] / 1e9;
    const std::string name = DTypeName(kFormats[s]);
    state.counters[name + "_GBs"] = gbs;
    state.counters[name + "_vs_read"] = gbs / read_gbs;
  }
  state.SetLabel(KernelPathName(ActiveKernelPath()));
}
BENCHMARK(BM_QMatMulStreamVsRead)->Iterations(200)->Unit(benchmark::kMillisecond)->UseRealTime();

// Vision-style attention: one segment of S patches, 16 heads of 64 (Qwen3-VL-2B tower).
void BM_AttentionVision(benchmark::State& state) {
  const int64_t s = state.range(0), nh = 16, hd = 64, ld = nh * hd;
  ThreadPool pool(static_cast<size_t>(state.range(1)));
  std::vector<float> q = Random(s * ld, 3), k = Random(s * ld, 4), v = Random(s * ld, 5), o(s * ld);
  for (auto _ : state) {
    Attention({q.data(), ld}, {k.data(), ld}, {v.data(), ld}, s, s, {nh, nh, hd, 0.125f, false, 0},
              {o.data(), ld}, &pool);
    benchmark::DoNotOptimize(o.data());
  }
  state.counters["GFLOPs"] = benchmark::Counter(4.0 * s * s * nh * hd * state.iterations() / 1e9,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AttentionVision)
    ->ArgNames({"S", "threads"})
    ->Args({1024, 1})
    ->Args({4096, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Decode attention: one query, 16 heads / 8 kv heads of 128, `range(0)` cached keys.
void BM_AttentionDecode(benchmark::State& state) {
  const int64_t past = state.range(0), nh = 16, nkv = 8, hd = 128;
  ThreadPool pool(static_cast<size_t>(state.range(1)));
  std::vector<float> q = Random(nh * hd, 3), k = Random((past + 1) * nkv * hd, 4),
                     v = Random((past + 1) * nkv * hd, 5), o(nh * hd);
  for (auto _ : state) {
    Attention({q.data(), nh * hd}, {k.data(), nkv * hd}, {v.data(), nkv * hd}, 1, past + 1,
              {nh, nkv, hd, 0.088f, true, past}, {o.data(), nh * hd}, &pool);
    benchmark::DoNotOptimize(o.data());
  }
  state.counters["kv_GBs"] = benchmark::Counter(
      2.0 * (past + 1) * nkv * hd * 4 * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AttentionDecode)
    ->ArgNames({"past", "threads"})
    ->Args({1024, 1})
    ->Args({4096, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Decode attention as a 2b decode step meets it: 28 layers' KV caches (far beyond L3) in
// pages of 64 rows laid out like the KV cache's (model/kv_pages.h: per kv head, keys
// [hd, page_rows], values [page_rows, hd]); one query row of 16 heads per layer against
// range(0) cached keys.
void BM_AttentionDecodePaged(benchmark::State& state) {
  const int64_t past = state.range(0), nh = 16, nkv = 8, hd = 128, layers = 28, page_rows = 64;
  const int64_t pages = (past + 1 + page_rows - 1) / page_rows, head_stride = page_rows * hd;
  ThreadPool pool(static_cast<size_t>(state.range(1)));
  std::vector<float> q = Random(nh * hd, 3), o(nh * hd);
  std::vector<std::vector<float>> store;
  std::vector<std::vector<const float*>> kp(layers), vp(layers);
  for (int64_t l = 0; l < layers; ++l) {
    for (int64_t p = 0; p < pages; ++p) {
      store.push_back(Random(nkv * head_stride, static_cast<uint32_t>(7 + 2 * (l * pages + p))));
      kp[l].push_back(store.back().data());
      store.push_back(Random(nkv * head_stride, static_cast<uint32_t>(8 + 2 * (l * pages + p))));
      vp[l].push_back(store.back().data());
    }
  }
  for (auto _ : state) {
    for (int64_t l = 0; l < layers; ++l) {
      AttentionPaged({q.data(), nh * hd}, PagedKeysView{kp[l].data(), page_rows, head_stride},
                     {vp[l].data(), page_rows, hd, head_stride}, 1, past + 1,
                     {nh, nkv, hd, 0.088f, true, past}, {o.data(), nh * hd}, &pool);
    }
    benchmark::DoNotOptimize(o.data());
  }
  state.counters["kv_GBs"] = benchmark::Counter(
      2.0 * layers * (past + 1) * nkv * hd * 4 * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AttentionDecodePaged)
    ->ArgNames({"past", "threads"})
    ->Args({1024, 1})
    ->Args({1024, 2})
    ->Args({4096, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Streaming read bandwidth of this machine: integer sums over 512 MiB (beyond any cache),
// split across range(0) threads like the matmul splits weights.
void BM_StreamRead(benchmark::State& state) {
  const size_t words = (size_t{512} << 20) / 8;
  AlignedBuffer buf(words * 8);
  uint64_t* p = buf.as<uint64_t>();
  for (size_t i = 0; i < words; ++i) p[i] = i;
  ThreadPool pool(static_cast<size_t>(state.range(0)));
  std::vector<uint64_t> sums(pool.num_threads());
  for (auto _ : state) {
    pool.ParallelFor(words, [&](size_t b, size_t e, size_t t) {
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (size_t i = b; i + 4 <= e; i += 4) {
        s0 += p[i];
        s1 += p[i + 1];
        s2 += p[i + 2];
        s3 += p[i + 3];
      }
      sums[t] = s0 + s1 + s2 + s3;
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["GBs"] = benchmark::Counter(
      static_cast<double>(words * 8) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Peak AVX-512 FMA throughput, per thread count.
void BM_PeakFma(benchmark::State& state) {
  if (!KernelPathSupported(KernelPath::kAvx512)) {
    state.SkipWithError("no AVX-512");
    return;
  }
  ThreadPool pool(static_cast<size_t>(state.range(0)));
  const int64_t iters = 1 << 22;
  for (auto _ : state) {
    pool.ParallelFor(pool.num_threads(), [&](size_t, size_t, size_t) {
      benchmark::DoNotOptimize(bench::PeakFmaAvx512(iters));
    });
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * 16 * 16 * iters * pool.num_threads() * state.iterations() / 1e9,
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PeakFma)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace corgi::ops

BENCHMARK_MAIN();
