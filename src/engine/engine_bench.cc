// Engine microbenchmarks (Google Benchmark): per-token costs outside the model's forward
// pass. A plain executable, never registered with ctest.
//   build/src/engine/engine_bench --benchmark_filter=Sample
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "corgi/engine/sampler.h"

namespace corgi {
namespace {

// One draw over Qwen's 151,936-row vocabulary. Args: top_k, top_p in percent, peaked.
// Logits are normal with sigma 3 (at temperature 0.7 a top_p 0.9 nucleus holds 451 tokens);
// the ranked paths' cost grows with the nucleus, so `peaked` = 1 puts the mass on a few
// tokens instead (a 2-token nucleus).
void BM_Sample(benchmark::State& state) {
  constexpr int64_t kVocab = 151936;
  SamplingParams p;
  p.temperature = 0.7;
  p.top_k = state.range(0);
  p.top_p = state.range(1) / 100.0;
  p.seed = 1;
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, state.range(2) ? 1.0f : 3.0f);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = normal(gen);
  if (state.range(2)) {
    for (int i = 0; i < 8; ++i) logits[(i * 9973) % kVocab] = 20.0f - i;
  }
  std::vector<float> scratch(kVocab);
  Sampler sampler(p);
  int64_t sum = 0;
  for (auto _ : state) {
    scratch = logits;  // Sample may write to its logits
    sum += sampler.Sample(scratch.data(), kVocab);
  }
  benchmark::DoNotOptimize(sum);
  state.SetLabel("top_k " + std::to_string(p.top_k) + ", top_p " + std::to_string(state.range(1)) + "%" +
                 (state.range(2) ? ", peaked" : ""));
}
BENCHMARK(BM_Sample)
    ->Args({0, 100, 0})
    ->Args({0, 90, 0})
    ->Args({0, 90, 1})
    ->Args({50, 100, 0})
    ->Args({50, 90, 0})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace corgi

BENCHMARK_MAIN();
