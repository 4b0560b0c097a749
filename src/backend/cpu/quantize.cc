// Packing weights into corgi's block formats (core/quant_format.h) and reading them back.
// One implementation on every path, so the bytes are identical whatever the CPU. The
// candidate searches (most of the time of `corgi quantize` and of `--weights q4`) are
// also compiled for x86-64-v3 and -v4 and picked at load by the CPU (GCC target_clones,
// whose resolver checks what the OS enabled): the compiler vectorizes their per-element
// steps, while sums stay in order and -ffp-contract=off (src/backend/CMakeLists.txt) keeps
// every multiply and add separate, so each clone computes the same floats. Small preset,
// q4, 2 threads: 10.2 -> 7.7 s, output byte-identical.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/check.h"
#include "corgi/core/half.h"
#include "corgi/core/quant_format.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CORGI_QUANTIZER_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CORGI_QUANTIZER_CLONES
#endif

namespace corgi::ops {
namespace {

// The float16 scale actually stored, as float.
float RoundedScale(float scale) { return F16ToF32(F32ToF16(scale)); }

// Quantizes 32 values (v) to integers in [lo, hi] with scale d: q = clamp(round(v/d)).
// Returns the squared error Σ (v - d·q)².
float QuantizeBlockWith(const float* v, float d, int lo, int hi, int* q) {
  float err = 0.0f;
  const float inv = d != 0.0f ? 1.0f / d : 0.0f;
  for (int i = 0; i < quant::kBlockK; ++i) {
    int qi = static_cast<int>(std::nearbyint(v[i] * inv));
    qi = std::clamp(qi, lo, hi);
    q[i] = qi;
    const float e = v[i] - d * static_cast<float>(qi);
    err += e * e;
  }
  return err;
}

// q8: symmetric, scale = absmax/127 (float16-rounded).
float QuantizeBlockQ8(const float* v, int* q) {
  float amax = 0.0f;
  for (int i = 0; i < quant::kBlockK; ++i) amax = std::max(amax, std::fabs(v[i]));
  const float d = RoundedScale(amax / 127.0f);
  QuantizeBlockWith(v, d, -127, 127, q);
  return d;
}

// q6, first pass: the scale of one 16-input half in float: the value of largest magnitude
// goes to the -32 end under divisors over [30, 34] in steps of 1/8; each divisor's
// assignment gets its least-squares scale, and the least squared error wins (ties keep
// the first).
CORGI_QUANTIZER_CLONES float FitHalfQ6(const float* v) {
  float peak = 0.0f;
  for (int i = 0; i < quant::kQ6HalfK; ++i)
    if (std::fabs(v[i]) > std::fabs(peak)) peak = v[i];
  if (peak == 0.0f) return 0.0f;
  float best_d = 0.0f, best_err = INFINITY;
  for (int step = 0; step <= 32; ++step) {
    const float d = peak / -(30.0f + 0.125f * static_cast<float>(step));
    // The assignment this divisor gives, then the least-squares scale for it.
    int q[quant::kQ6HalfK];
    float sqv = 0.0f, sqq = 0.0f;
    for (int i = 0; i < quant::kQ6HalfK; ++i) {
      q[i] = std::clamp(static_cast<int>(std::nearbyint(v[i] / d)), -32, 31);
      sqv += static_cast<float>(q[i]) * v[i];
      sqq += static_cast<float>(q[i] * q[i]);
    }
    const float fit = sqq > 0.0f ? sqv / sqq : d;
    float err = 0.0f;
    for (int i = 0; i < quant::kQ6HalfK; ++i) {
      const float e = v[i] - fit * static_cast<float>(q[i]);
      err += e * e;
    }
    if (err < best_err) {
      best_err = err;
      best_d = fit;
    }
  }
  return best_d;
}

// Packs one row (c) of a kQ6 group of `nb` blocks: the halves' scales, the row's D (largest
// |scale| / 127), and per half the code within ±2 of round(scale/D) whose stored d = D·code
// gives the least squared error, then u = clamp(round(v/d), -32, 31) + 32.
CORGI_QUANTIZER_CLONES void QuantizeGroupRowQ6(const float* row, int64_t k, int64_t k0, int nb, int c, uint8_t* group) {
  constexpr int kHalves = 2 * quant::kGroupBlocks;
  float v[kHalves][quant::kQ6HalfK] = {};
  float d[kHalves];
  float dmax = 0.0f;
  for (int h = 0; h < 2 * nb; ++h) {
    const int64_t start = k0 + h * quant::kQ6HalfK;
    for (int i = 0; i < quant::kQ6HalfK && start + i < k; ++i) v[h][i] = row[start + i];
    d[h] = FitHalfQ6(v[h]);
    dmax = std::max(dmax, std::fabs(d[h]));
  }
  const float g = RoundedScale(dmax / static_cast<float>(quant::kQ6CodeMax));
  const uint16_t hg = F32ToF16(g);
  std::memcpy(group + 2 * c, &hg, 2);
  for (int h = 0; h < 2 * nb; ++h) {
    uint8_t* block = group + quant::kQ6HeaderBytes + (h / 2) * quant::kQ6BlockBytes;
    int best_code = 0;
    if (g > 0.0f) {
      const int center = static_cast<int>(std::nearbyint(d[h] / g));
      float best_err = INFINITY;
      for (int code = center - 2; code <= center + 2; ++code) {
        if (code < -quant::kQ6CodeMax || code > quant::kQ6CodeMax) continue;
        const float ds = g * static_cast<float>(code);
        float err = 0.0f;
        for (int i = 0; i < quant::kQ6HalfK; ++i) {
          const int q = ds != 0.0f ? std::clamp(static_cast<int>(std::nearbyint(v[h][i] / ds)), -32, 31) : 0;
          const float e = v[h][i] - ds * static_cast<float>(q);
          err += e * e;
        }
        if (err < best_err) {
          best_err = err;
          best_code = code;
        }
      }
    }
    block[(h % 2) * quant::kPanelRows + c] = static_cast<uint8_t>(static_cast<int8_t>(best_code));
    const float ds = g * static_cast<float>(best_code);
    uint8_t* values = block + quant::kQ6CodeBytes;
    for (int j = 0; j < quant::kQ6HalfK; ++j) {
      const int i = (h % 2) * quant::kQ6HalfK + j;  // input within the block
      const int q = ds != 0.0f ? std::clamp(static_cast<int>(std::nearbyint(v[h][j] / ds)), -32, 31) : 0;
      const int u = q + quant::kQ6ZeroPoint;
      const int quad = i / 4, byte = c * 4 + i % 4;
      values[(quad / 2) * quant::kQuadVectorBytes + byte] |= static_cast<uint8_t>(quad % 2 == 0 ? u & 15 : (u & 15) << 4);
      values[quant::kNibbleBytes + (quad / 4) * quant::kQuadVectorBytes + byte] |=
          static_cast<uint8_t>((u >> 4) << (2 * (quad % 4)));
    }
  }
}

// q4, first pass: the least-squares (d, m) of one block (len real values) for w ≈ d·u − m,
// u ∈ [0, 15], d ≥ 0, m ≥ 0 (the minimum is clamped to ≤ 0 so that m is ≥ 0). Candidate
// assignments u = round((v − lo)·(15 + δ)/(hi − lo)) for δ in [-1, 1] step 0.1; for each,
// (d, m) is the linear fit of v on u (m = 0 if the fit wants a negative one); the least
// squared error wins.
CORGI_QUANTIZER_CLONES void FitBlockQ4(const float* v, int len, float* d_out, float* m_out) {
  float lo = 0.0f, hi = v[0];
  for (int i = 0; i < len; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  *d_out = 0.0f;
  *m_out = -lo;
  if (!(hi > lo)) return;  // constant block: w = -m
  float best = INFINITY;
  const double n = len;
  double sv = 0;
  for (int i = 0; i < len; ++i) sv += v[i];
  int u[quant::kBlockK], previous[quant::kBlockK];
  for (int step = -20; step <= 20; ++step) {
    const double iscale = (15.0 + 0.05 * step) / (static_cast<double>(hi) - lo);
    bool changed = step == -20;
    for (int i = 0; i < len; ++i) {
      u[i] = std::clamp(static_cast<int>(std::nearbyint((v[i] - lo) * iscale)), 0, 15);
      changed = changed || u[i] != previous[i];
    }
    // Neighbouring candidates often round to the same assignment, whose fit and error
    // were just computed: it cannot win again (the comparison is strict), so skip it.
    if (!changed) continue;
    std::copy(u, u + len, previous);
    double su = 0, suu = 0, suv = 0;
    for (int i = 0; i < len; ++i) {
      su += u[i];
      suu += static_cast<double>(u[i]) * u[i];
      suv += u[i] * static_cast<double>(v[i]);
    }
    double d, o;  // v ≈ d·u + o
    const double det = n * suu - su * su;
    if (det <= 0) continue;
    d = (n * suv - su * sv) / det;
    o = (suu * sv - su * suv) / det;
    if (o > 0) {  // m would be negative
      o = 0;
      d = suv / suu;
    }
    if (d < 0) continue;
    double err = 0;
    for (int i = 0; i < len; ++i) {
      const double e = v[i] - (d * u[i] + o);
      err += e * e;
    }
    if (err < best) {
      best = static_cast<float>(err);
      *d_out = static_cast<float>(d);
      *m_out = static_cast<float>(-o);
    }
  }
}

// The float16 group scale for codes in [0, 63] covering values up to vmax, and the codes.
float GroupScale(const float* values, int count, int* codes) {
  float vmax = 0.0f;
  for (int i = 0; i < count; ++i) vmax = std::max(vmax, values[i]);
  const float g = RoundedScale(vmax / static_cast<float>(quant::kQ4CodeMax));
  for (int i = 0; i < count; ++i) {
    codes[i] = g > 0.0f ? std::clamp(static_cast<int>(std::nearbyint(values[i] / g)), 0, quant::kQ4CodeMax) : 0;
  }
  return g;
}

// Packs one row (c) of a kQ4 group of `nb` blocks: the fits per block, the row's D and M
// with 6-bit codes (each within ±1 of the rounded code, the pair with the least error),
// then u = clamp(round((v + m)/d)) under the stored d = D·sc, m = M·mn.
CORGI_QUANTIZER_CLONES void QuantizeGroupRowQ4(const float* row, int64_t k, int64_t k0, int nb, int c, uint8_t* group) {
  float d[quant::kGroupBlocks] = {}, m[quant::kGroupBlocks] = {};
  float v[quant::kGroupBlocks][quant::kBlockK] = {};
  int len[quant::kGroupBlocks];
  for (int j = 0; j < nb; ++j) {
    const int64_t start = k0 + j * quant::kBlockK;
    len[j] = static_cast<int>(std::clamp<int64_t>(k - start, 0, quant::kBlockK));
    for (int i = 0; i < len[j]; ++i) v[j][i] = row[start + i];
    if (len[j] > 0) {
      FitBlockQ4(v[j], len[j], &d[j], &m[j]);
    } else {
      d[j] = m[j] = 0.0f;
    }
  }
  int sc[quant::kGroupBlocks], mn[quant::kGroupBlocks];
  const float dg = GroupScale(d, nb, sc);
  const float mg = GroupScale(m, nb, mn);
  const uint16_t hd = F32ToF16(dg), hm = F32ToF16(mg);
  std::memcpy(group + 2 * c, &hd, 2);
  std::memcpy(group + quant::kScaleBytes + 2 * c, &hm, 2);
  for (int j = 0; j < nb; ++j) {
    uint8_t* block = group + quant::kQ4HeaderBytes + j * quant::kQ4BlockBytes;
    // The codes within ±1 of the rounded ones whose stored d and m give the least error.
    const int len_j = len[j];
    auto requantize = [&](float ds, float ms, int* u) {
      float err = 0.0f;
      for (int i = 0; i < quant::kBlockK; ++i) {
        u[i] = ds > 0.0f && i < len_j ? std::clamp(static_cast<int>(std::nearbyint((v[j][i] + ms) / ds)), 0, 15) : 0;
        if (i < len_j) {
          const float e = v[j][i] - (ds * static_cast<float>(u[i]) - ms);
          err += e * e;
        }
      }
      return err;
    };
    int u[quant::kBlockK], trial[quant::kBlockK];
    int best_sc = sc[j], best_mn = mn[j];
    float best_err = requantize(dg * static_cast<float>(sc[j]), mg * static_cast<float>(mn[j]), u);
    for (int dsc = -1; dsc <= 1; ++dsc) {
      for (int dmn = -1; dmn <= 1; ++dmn) {
        const int tsc = sc[j] + dsc, tmn = mn[j] + dmn;
        if ((dsc == 0 && dmn == 0) || tsc < 0 || tsc > quant::kQ4CodeMax || tmn < 0 || tmn > quant::kQ4CodeMax) continue;
        const float err = requantize(dg * static_cast<float>(tsc), mg * static_cast<float>(tmn), trial);
        if (err < best_err) {
          best_err = err;
          best_sc = tsc;
          best_mn = tmn;
          std::copy(trial, trial + quant::kBlockK, u);
        }
      }
    }
    block[c] = static_cast<uint8_t>(best_sc | (best_mn & 3) << 6);
    block[quant::kPanelRows + c % 8] |= static_cast<uint8_t>((best_mn >> 2) << (4 * (c / 8)));
    uint8_t* nibbles = block + quant::kQ4CodeBytes;
    for (int i = 0; i < quant::kBlockK; ++i) {
      const int quad = i / 4, byte = c * 4 + i % 4;
      nibbles[(quad / 2) * quant::kQuadVectorBytes + byte] |= static_cast<uint8_t>(quad % 2 == 0 ? u[i] : u[i] << 4);
    }
  }
}

// Stores the values q of row c in a kQ8 block (as the bytes q + 128).
void StoreQ8(const int* q, int c, uint8_t* block) {
  uint8_t* quants = block + quant::kScaleBytes;
  for (int i = 0; i < quant::kBlockK; ++i) {
    const int quad = i / 4, byte = c * 4 + i % 4;
    quants[quad * quant::kQuadVectorBytes + byte] = static_cast<uint8_t>(q[i] + quant::kQ8ZeroPoint);
  }
}

}  // namespace

void QuantizePanel(const float* rows, int64_t num_rows, int64_t k, int64_t ld, DType format,
                   void* out) {
  CORGI_CHECK(IsBlockQuantized(format)) << "QuantizePanel format must be Q8, Q6 or Q4, got " << DTypeName(format);
  CORGI_CHECK(num_rows >= 0 && num_rows <= quant::kPanelRows && (num_rows == 0 || ld >= k))
      << "QuantizePanel: rows " << num_rows << " ld " << ld << " k " << k;
  const int64_t blocks = quant::Blocks(k);
  auto* dst = static_cast<uint8_t*>(out);
  std::memset(dst, 0, static_cast<size_t>(quant::PanelBytes(format, k)));
  if (format != DType::kQ8) {
    for (int64_t g = 0; g * quant::kGroupBlocks < blocks; ++g) {
      const int nb = static_cast<int>(std::min(quant::kGroupBlocks, blocks - g * quant::kGroupBlocks));
      uint8_t* group = dst + g * quant::GroupBytes(format);
      const int64_t k0 = g * quant::kGroupBlocks * quant::kBlockK;
      for (int c = 0; c < num_rows; ++c) {
        if (format == DType::kQ4) {
          QuantizeGroupRowQ4(rows + c * ld, k, k0, nb, c, group);
        } else {
          QuantizeGroupRowQ6(rows + c * ld, k, k0, nb, c, group);
        }
      }
    }
    return;  // missing rows keep zero codes: w = 0
  }
  float v[quant::kBlockK];
  int q[quant::kBlockK];
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t* block = dst + quant::BlockOffset(format, b);
    const int64_t k0 = b * quant::kBlockK;
    for (int c = 0; c < quant::kPanelRows; ++c) {
      std::fill(v, v + quant::kBlockK, 0.0f);
      if (c < num_rows) {
        for (int64_t i = 0; i < quant::kBlockK && k0 + i < k; ++i) v[i] = rows[c * ld + k0 + i];
      }
      const float d = QuantizeBlockQ8(v, q);
      const uint16_t h = F32ToF16(d);
      std::memcpy(block + 2 * c, &h, 2);
      StoreQ8(q, c, block);
    }
  }
}

void QuantizeWeights(const TensorView& w, DType format, void* out, ThreadPool* pool) {
  CORGI_CHECK(w.shape.rank() == 2 && w.strides[1] == 1 &&
              (w.dtype == DType::kF32 || w.dtype == DType::kBF16 || w.dtype == DType::kF16))
      << "QuantizeWeights needs a [N, K] F32/BF16/F16 weight, got " << w.shape.ToString() << " "
      << DTypeName(w.dtype);
  const int64_t n = w.shape[0], k = w.shape[1];
  const int64_t panels = quant::Panels(n);
  const int64_t panel_bytes = quant::PanelBytes(format, k);
  const size_t elem = DTypeSize(w.dtype);
  auto run = [&](int64_t p_begin, int64_t p_end) {
    std::vector<float> rows(static_cast<size_t>(quant::kPanelRows * k));
    for (int64_t p = p_begin; p < p_end; ++p) {
      const int64_t r0 = p * quant::kPanelRows;
      const int64_t count = std::min(quant::kPanelRows, n - r0);
      for (int64_t r = 0; r < count; ++r) {
        const auto* src = static_cast<const uint8_t*>(w.data) + static_cast<size_t>((r0 + r) * w.strides[0]) * elem;
        ConvertToF32(src, w.dtype, k, rows.data() + r * k);
      }
      QuantizePanel(rows.data(), count, k, k, format, static_cast<uint8_t*>(out) + p * panel_bytes);
    }
  };
  if (pool == nullptr || pool->num_threads() <= 1 || panels <= 1) {
    run(0, panels);
    return;
  }
  pool->ParallelFor(static_cast<size_t>(panels), [&](size_t b, size_t e, size_t) {
    run(static_cast<int64_t>(b), static_cast<int64_t>(e));
  });
}

void DequantizeRow(const TensorView& w, int64_t n, float* dst) {
  CORGI_CHECK(IsBlockQuantized(w.dtype) && w.shape.rank() == 2 && n >= 0 && n < w.shape[0])
      << "DequantizeRow of row " << n << " of " << DTypeName(w.dtype) << " " << w.shape.ToString();
  const int64_t k = w.shape[1];
  const int64_t blocks = quant::Blocks(k);
  const int zero = quant::ZeroPoint(w.dtype);
  const auto* panel = static_cast<const uint8_t*>(w.data) + (n / quant::kPanelRows) * quant::PanelBytes(w.dtype, k);
  const int c = static_cast<int>(n % quant::kPanelRows);
  const int step = static_cast<int>(quant::ScaleK(w.dtype));  // inputs per scale
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = panel + quant::BlockOffset(w.dtype, b);
    const float m = quant::StoredMin(panel, w.dtype, c, b);
    for (int i0 = 0; i0 < quant::kBlockK; i0 += step) {
      const float d = quant::StoredScale(panel, w.dtype, c, b, i0);
      for (int i = i0; i < i0 + step && b * quant::kBlockK + i < k; ++i) {
        dst[b * quant::kBlockK + i] = d * static_cast<float>(quant::StoredValue(block, w.dtype, c, i) - zero) - m;
      }
    }
  }
}

}  // namespace corgi::ops
