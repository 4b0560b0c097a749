// Prefix feasibility for bounded numbers: the fewest bytes that turn a number prefix into
// a value inside [minimum, maximum], or -1 when no continuation can.
//
// Values are handled as magnitudes on an integer grid: integers as they are, numbers
// scaled by 10^kMaxFractionDigits (so 0.5 is 500000). A prefix with integer part I
// (x digits, more may follow) reaches, with j more integer digits, the integers
// [I * 10^j, (I + 1) * 10^j - 1], and with a fraction of m digits every multiple of
// 10^-m in [I * 10^j, (I + 1) * 10^j). Both are intervals on a grid, so "is there a
// value in range" is one rounding per (j, m).
#include <algorithm>

#include "engine/constraint/grammar.h"

namespace corgi::constraint {
namespace {

constexpr int64_t Pow10(int n) {
  int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// Is there a multiple of `step` in [a, b] ∩ [lo, hi]? All values are >= 0.
bool GridHit(int64_t a, int64_t b, int64_t step, int64_t lo, int64_t hi) {
  const int64_t from = std::max(a, lo);
  const int64_t to = std::min(b, hi);
  if (from > to) return false;
  const int64_t first = (from + step - 1) / step * step;
  return first <= to;
}

struct Scale {
  int64_t unit;    // grid value of 1.0
  int int_cap;     // most integer digits
  bool fractions;  // '.' allowed
};

Scale ScaleOf(const Node& node) {
  if (node.kind == NodeKind::kNumber) return {Pow10(kMaxFractionDigits), kMaxNumberIntDigits, true};
  return {1, kMaxIntegerDigits, false};
}

// Integer part I with x digits read; `open`: more integer digits may follow.
int64_t FromIntegerPart(const Scale& sc, int64_t lo, int64_t hi, int64_t value, int digits,
                        bool open) {
  int64_t best = kInf;
  const int max_j = open ? sc.int_cap - digits : 0;
  int64_t p10 = 1;
  for (int j = 0; j <= max_j && j < best; ++j, p10 *= 10) {
    const int64_t a = value * p10;
    const int64_t b = (value + 1) * p10 - 1;
    if (GridHit(a * sc.unit, b * sc.unit, sc.unit, lo, hi)) best = std::min<int64_t>(best, j);
    if (!sc.fractions) continue;
    for (int m = 1; m <= kMaxFractionDigits && j + 1 + m < best; ++m) {
      const int64_t step = sc.unit / Pow10(m);
      if (GridHit(a * sc.unit, (b + 1) * sc.unit - step, step, lo, hi)) {
        best = j + 1 + m;
        break;
      }
    }
  }
  return best == kInf ? -1 : best;
}

int64_t Min1(int64_t a, int64_t b) {
  if (a < 0) return b;
  if (b < 0) return a;
  return std::min(a, b);
}

}  // namespace

int64_t NumberMinBytes(const Node& node, bool neg, int phase, int int_digits, int frac_digits,
                       int64_t int_value, int64_t frac_value) {
  const Scale sc = ScaleOf(node);
  if (phase == kNumStart) {
    int64_t best = -1;
    if (node.neg_lo <= node.neg_hi) {
      const int64_t r = NumberMinBytes(node, true, kNumMinus, 0, 0, 0, 0);
      if (r >= 0) best = 1 + r;
    }
    for (int d = 0; d <= 9; ++d) {
      const int64_t r = NumberMinBytes(node, false, d == 0 ? kNumZero : kNumInt, 1, 0, d, 0);
      if (r >= 0) best = Min1(best, 1 + r);
    }
    return best;
  }
  const int64_t lo = neg ? node.neg_lo : node.pos_lo;
  const int64_t hi = neg ? node.neg_hi : node.pos_hi;
  if (lo > hi) return -1;
  switch (phase) {
    case kNumMinus: {
      int64_t best = -1;
      for (int d = 0; d <= 9; ++d) {
        const int64_t r = FromIntegerPart(sc, lo, hi, d, 1, d != 0);
        if (r >= 0) best = Min1(best, 1 + r);
      }
      return best;
    }
    case kNumZero:
    case kNumInt:
      return FromIntegerPart(sc, lo, hi, int_value, int_digits, phase == kNumInt);
    case kNumDot: {
      const int64_t base = int_value * sc.unit;
      for (int m = 1; m <= kMaxFractionDigits; ++m) {
        const int64_t step = sc.unit / Pow10(m);
        if (GridHit(base, base + sc.unit - step, step, lo, hi)) return m;
      }
      return -1;
    }
    case kNumFrac: {
      const int64_t unit = sc.unit / Pow10(frac_digits);
      const int64_t base = int_value * sc.unit + frac_value * unit;
      if (base >= lo && base <= hi) return 0;
      for (int t = 1; frac_digits + t <= kMaxFractionDigits; ++t) {
        const int64_t step = unit / Pow10(t);
        if (GridHit(base, base + unit - step, step, lo, hi)) return t;
      }
      return -1;
    }
    default:
      return -1;
  }
}

}  // namespace corgi::constraint
