// Packing weights into corgi's block formats (core/quant_format.h) and reading them back.
// Scalar code on every path: it runs once per weight (corgi quantize, or at load time), and
// one implementation keeps the bytes identical whatever the CPU.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/check.h"
#include "corgi/core/half.h"
#include "corgi/core/quant_format.h"

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

// q6: symmetric like q8 over [-32, 31]: d = absmax / divisor, the divisor searched over
// [31, 32.5] in steps of 1/8 (13 candidates) for the least squared error; ties keep the
// first candidate.
float QuantizeBlockQ6(const float* v, int* q) {
  float peak = 0.0f;
  for (int i = 0; i < quant::kBlockK; ++i)
    if (std::fabs(v[i]) > std::fabs(peak)) peak = v[i];
  std::fill(q, q + quant::kBlockK, 0);
  if (peak == 0.0f) return 0.0f;
  // The peak's sign picks the side with the extra level (-32).
  int trial[quant::kBlockK];
  float best_d = 0.0f, best_err = INFINITY;
  for (int step = 0; step <= 12; ++step) {
    const float divisor = 31.0f + 0.125f * static_cast<float>(step);
    const float d = RoundedScale(peak / -divisor);
    if (d == 0.0f) continue;
    const float err = QuantizeBlockWith(v, d, -32, 31, trial);
    if (err < best_err) {
      best_err = err;
      best_d = d;
      std::copy(trial, trial + quant::kBlockK, q);
    }
  }
  return best_d;
}

// q4, first pass: the least-squares (d, m) of one block (len real values) for w ≈ d·u − m,
// u ∈ [0, 15], d ≥ 0, m ≥ 0 (the minimum is clamped to ≤ 0 so that m is ≥ 0). Candidate
// assignments u = round((v − lo)·(15 + δ)/(hi − lo)) for δ in [-1, 1] step 0.1; for each,
// (d, m) is the linear fit of v on u (m = 0 if the fit wants a negative one); the least
// squared error wins.
void FitBlockQ4(const float* v, int len, float* d_out, float* m_out) {
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
  for (int step = -10; step <= 10; ++step) {
    const double iscale = (15.0 + 0.1 * step) / (static_cast<double>(hi) - lo);
    double su = 0, suu = 0, sv = 0, suv = 0;
    int u[quant::kBlockK];
    for (int i = 0; i < len; ++i) {
      u[i] = std::clamp(static_cast<int>(std::nearbyint((v[i] - lo) * iscale)), 0, 15);
      su += u[i];
      suu += static_cast<double>(u[i]) * u[i];
      sv += v[i];
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
// with 6-bit codes, then u = clamp(round((v + m)/d)) under the stored d = D·sc, m = M·mn.
void QuantizeGroupRowQ4(const float* row, int64_t k, int64_t k0, int nb, int c, uint8_t* group) {
  float d[quant::kQ4GroupBlocks], m[quant::kQ4GroupBlocks];
  float v[quant::kQ4GroupBlocks][quant::kBlockK] = {};
  int len[quant::kQ4GroupBlocks];
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
  int sc[quant::kQ4GroupBlocks], mn[quant::kQ4GroupBlocks];
  const float dg = GroupScale(d, nb, sc);
  const float mg = GroupScale(m, nb, mn);
  const uint16_t hd = F32ToF16(dg), hm = F32ToF16(mg);
  std::memcpy(group + 2 * c, &hd, 2);
  std::memcpy(group + quant::kScaleBytes + 2 * c, &hm, 2);
  for (int j = 0; j < nb; ++j) {
    uint8_t* block = group + quant::kQ4HeaderBytes + j * quant::kQ4BlockBytes;
    block[c] = static_cast<uint8_t>(sc[j] | (mn[j] & 3) << 6);
    block[quant::kPanelRows + c % 8] |= static_cast<uint8_t>((mn[j] >> 2) << (4 * (c / 8)));
    const float ds = dg * static_cast<float>(sc[j]);
    const float ms = mg * static_cast<float>(mn[j]);
    uint8_t* nibbles = block + quant::kQ4CodeBytes;
    for (int i = 0; i < quant::kBlockK; ++i) {
      const int u = ds > 0.0f && i < len[j]
                        ? std::clamp(static_cast<int>(std::nearbyint((v[j][i] + ms) / ds)), 0, 15)
                        : 0;
      const int quad = i / 4, byte = c * 4 + i % 4;
      nibbles[(quad / 2) * quant::kQuadVectorBytes + byte] |=
          static_cast<uint8_t>(quad % 2 == 0 ? u : u << 4);
    }
  }
}

// Stores the values q (with the zero point added) of row c in a kQ8/kQ6 block.
void StoreSymmetric(DType format, const int* q, int c, uint8_t* block) {
  uint8_t* quants = block + quant::kScaleBytes;
  for (int i = 0; i < quant::kBlockK; ++i) {
    const int u = q[i] + quant::ZeroPoint(format);
    const int quad = i / 4, byte = c * 4 + i % 4;
    if (format == DType::kQ8) {
      quants[quad * quant::kQuadVectorBytes + byte] = static_cast<uint8_t>(u);
      continue;
    }
    quants[(quad / 2) * quant::kQuadVectorBytes + byte] |= static_cast<uint8_t>(quad % 2 == 0 ? u & 15 : (u & 15) << 4);
    quants[quant::kNibbleBytes + (quad / 4) * quant::kQuadVectorBytes + byte] |=
        static_cast<uint8_t>((u >> 4) << (2 * (quad % 4)));
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
  if (format == DType::kQ4) {
    for (int64_t g = 0; g * quant::kQ4GroupBlocks < blocks; ++g) {
      const int nb = static_cast<int>(std::min(quant::kQ4GroupBlocks, blocks - g * quant::kQ4GroupBlocks));
      for (int c = 0; c < num_rows; ++c) {
        QuantizeGroupRowQ4(rows + c * ld, k, g * quant::kQ4GroupBlocks * quant::kBlockK, nb, c,
                           dst + g * quant::kQ4GroupBytes);
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
      const float d = format == DType::kQ8 ? QuantizeBlockQ8(v, q) : QuantizeBlockQ6(v, q);
      const uint16_t h = F32ToF16(d);
      std::memcpy(block + 2 * c, &h, 2);
      StoreSymmetric(format, q, c, block);
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
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = panel + quant::BlockOffset(w.dtype, b);
    const float d = quant::StoredScale(panel, w.dtype, c, b);
    const float m = quant::StoredMin(panel, w.dtype, c, b);
    for (int i = 0; i < quant::kBlockK && b * quant::kBlockK + i < k; ++i) {
      const int q = quant::StoredValue(block, w.dtype, c, i) - zero;
      dst[b * quant::kBlockK + i] = d * static_cast<float>(q) - m;
    }
  }
}

}  // namespace corgi::ops
