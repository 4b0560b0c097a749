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

// q4: the range [-8, 7] is asymmetric, so the value of largest magnitude (signed, `peak`)
// goes to the -8 side: d = peak / -divisor. The divisor is searched over [6.5, 8.5] in
// steps of 1/8 (17 candidates) for the least squared error of the block; a divisor above 8
// clips the peak, below 8 spends resolution on it. Ties keep the first candidate.
float QuantizeBlockQ4(const float* v, int* q) {
  float peak = 0.0f;
  for (int i = 0; i < quant::kBlockK; ++i)
    if (std::fabs(v[i]) > std::fabs(peak)) peak = v[i];
  if (peak == 0.0f) {
    std::fill(q, q + quant::kBlockK, 0);
    return 0.0f;
  }
  int trial[quant::kBlockK];
  float best_d = 0.0f, best_err = INFINITY;
  for (int step = 0; step <= 16; ++step) {
    const float divisor = 6.5f + 0.125f * static_cast<float>(step);
    const float d = RoundedScale(peak / -divisor);
    if (d == 0.0f) continue;
    const float err = QuantizeBlockWith(v, d, -8, 7, trial);
    if (err < best_err) {
      best_err = err;
      best_d = d;
      std::copy(trial, trial + quant::kBlockK, q);
    }
  }
  if (best_d == 0.0f) std::fill(q, q + quant::kBlockK, 0);  // scale underflowed float16
  return best_d;
}

}  // namespace

void QuantizePanel(const float* rows, int64_t num_rows, int64_t k, int64_t ld, DType format,
                   void* out) {
  CORGI_CHECK(format == DType::kQ8 || format == DType::kQ4)
      << "QuantizePanel format must be Q8 or Q4, got " << DTypeName(format);
  CORGI_CHECK(num_rows >= 0 && num_rows <= quant::kPanelRows && (num_rows == 0 || ld >= k))
      << "QuantizePanel: rows " << num_rows << " ld " << ld << " k " << k;
  const int64_t blocks = quant::Blocks(k);
  const int64_t block_bytes = quant::BlockBytes(format);
  auto* dst = static_cast<uint8_t*>(out);
  std::memset(dst, 0, static_cast<size_t>(blocks * block_bytes));
  float v[quant::kBlockK];
  int q[quant::kBlockK];
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t* block = dst + b * block_bytes;
    uint8_t* quants = block + quant::kScaleBytes;
    const int64_t k0 = b * quant::kBlockK;
    for (int c = 0; c < quant::kPanelRows; ++c) {
      std::fill(v, v + quant::kBlockK, 0.0f);
      if (c < num_rows) {
        for (int64_t i = 0; i < quant::kBlockK && k0 + i < k; ++i) v[i] = rows[c * ld + k0 + i];
      }
      const float d = format == DType::kQ8 ? QuantizeBlockQ8(v, q) : QuantizeBlockQ4(v, q);
      const uint16_t h = F32ToF16(d);
      std::memcpy(block + 2 * c, &h, 2);
      for (int i = 0; i < quant::kBlockK; ++i) {
        const int quad = i / 4, byte = c * 4 + i % 4;
        if (format == DType::kQ8) {
          quants[quad * 64 + byte] = static_cast<uint8_t>(q[i] + quant::kQ8ZeroPoint);
        } else {
          const auto nibble = static_cast<uint8_t>(q[i] + quant::kQ4ZeroPoint);
          quants[(quad / 2) * 64 + byte] |= quad % 2 == 0 ? nibble : static_cast<uint8_t>(nibble << 4);
        }
      }
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
  const int64_t panel_bytes = quant::Blocks(k) * quant::BlockBytes(format);
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
  const int64_t block_bytes = quant::BlockBytes(w.dtype);
  const auto* panel = static_cast<const uint8_t*>(w.data) + (n / quant::kPanelRows) * blocks * block_bytes;
  const int c = static_cast<int>(n % quant::kPanelRows);
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = panel + b * block_bytes;
    const float d = quant::StoredScale(block, c);
    for (int i = 0; i < quant::kBlockK && b * quant::kBlockK + i < k; ++i) {
      dst[b * quant::kBlockK + i] = d * static_cast<float>(quant::StoredValue(block, w.dtype, c, i));
    }
  }
}

}  // namespace corgi::ops
