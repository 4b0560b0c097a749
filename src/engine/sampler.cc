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

  // Each candidate's weight is exp((logit - max) / temperature), kept in probs_[id]. Sums
  // are float64; the walk below subtracts the very values that were summed.
  const double inv_t = 1.0 / params_.temperature;
  double top = 0;  // the largest logit
  probs_.resize(vocab);
  auto weigh = [&](int32_t id) {
    probs_[id] = std::exp(static_cast<float>((logits[id] - top) * inv_t));
    return static_cast<double>(probs_[id]);
  };
  const bool top_k = params_.top_k > 0 && params_.top_k < vocab;
  const bool nucleus = params_.top_p < 1.0;

  // Candidates are ranked by logit (descending; ties by id for determinism) only for top-k
  // or top-p, and only as far as they need: order_[0, sorted) is ranked and precedes the
  // rest. A draw from the whole distribution walks the ids in order instead. (Sorting all
  // 151,936 ids cost ~19 ms per token, more than half a 2b decode step.)
  const bool ranked = top_k || nucleus;
  if (ranked) {
    order_.resize(vocab);
    std::iota(order_.begin(), order_.end(), 0);
  }
  auto id_at = [&](int64_t i) { return ranked ? order_[i] : static_cast<int32_t>(i); };
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  int64_t sorted = 0;
  auto rank_through = [&](int64_t n) {
    std::partial_sort(order_.begin() + sorted, order_.begin() + n, order_.end(), by_logit);
    sorted = n;
  };
  int64_t keep = vocab;
  double total = 0;
  if (top_k) {
    keep = params_.top_k;
    rank_through(keep);
    top = logits[order_[0]];
    for (int64_t i = 0; i < keep; ++i) total += weigh(order_[i]);
  } else {
    top = logits[ops::Argmax(logits, vocab)];
    for (int32_t id = 0; id < vocab; ++id) total += weigh(id);
  }
  // Nucleus: the smallest ranked prefix whose mass reaches top_p (at least one token),
  // ranking 64 candidates first and doubling: a trained model's nucleus is a handful.
  if (nucleus) {
    double cumulative = 0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      if (i == sorted) rank_through(std::min(keep, std::max<int64_t>(64, 2 * sorted)));
      cumulative += probs_[order_[i]] / total;
      if (cumulative >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = 0;
    for (int64_t i = 0; i < keep; ++i) total += probs_[order_[i]];
  }
  double r = NextUniform() * total;
  int32_t last = id_at(0);
  for (int64_t i = 0; i < keep; ++i) {
    const int32_t id = id_at(i);
    if (probs_[id] <= 0) continue;  // masked (-inf) or underflowed: never drawn
    last = id;
    r -= probs_[id];
    if (r < 0) return id;
  }
  return last;  // rounding left r >= 0: the last candidate that had any weight
}

}  // namespace corgi
