#include "corgi/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "corgi/backend/ops.h"

namespace corgi {

Sampler::Sampler(const SamplingParams& params) : params_(params), state_(params.seed ^ 0x5851f42d4c957f2dull) {}

double Sampler::NextUniform() {
  // splitmix64: tiny, fast, and reproducible across platforms.
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::Sample(float* logits, int64_t vocab) {
  if (params_.temperature <= 0.0) return static_cast<int32_t>(ops::Argmax(logits, vocab));

  // Candidates sorted by logit (descending; ties by id for determinism), cut by top-k.
  order_.resize(vocab);
  std::iota(order_.begin(), order_.end(), 0);
  int64_t keep = vocab;
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  if (params_.top_k > 0 && params_.top_k < vocab) {
    keep = params_.top_k;
    std::partial_sort(order_.begin(), order_.begin() + keep, order_.end(), by_logit);
  } else {
    std::sort(order_.begin(), order_.end(), by_logit);
  }
  // Softmax of logit / temperature over the kept candidates, in float64 for stable sums.
  probs_.resize(keep);
  const double inv_t = 1.0 / params_.temperature, top = logits[order_[0]];
  double total = 0;
  for (int64_t i = 0; i < keep; ++i) {
    double p = std::exp((logits[order_[i]] - top) * inv_t);
    probs_[i] = static_cast<float>(p);
    total += p;
  }
  // Nucleus: the smallest prefix whose mass reaches top_p (at least one token).
  if (params_.top_p < 1.0) {
    double cumulative = 0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      cumulative += probs_[i] / total;
      if (cumulative >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = 0;
    for (int64_t i = 0; i < keep; ++i) total += probs_[i];
  }
  double r = NextUniform() * total;
  for (int64_t i = 0; i < keep; ++i) {
    r -= probs_[i];
    if (r < 0) return order_[i];
  }
  return order_[keep - 1];
}

}  // namespace corgi
