// Scalar reference for the quantized matmul: activation quantization and the block-scaled
// integer dot products of ops.h, in the obvious order. The fast paths must match it
// bitwise (integer sums are exact; the float steps below are the contract).
#include <cmath>

#include "backend/cpu/ref/ref_kernels.h"
#include "corgi/core/quant_format.h"

namespace corgi::ops::ref {

void QuantizeRow(const float* x, int64_t k, int8_t* q, float* scale, int32_t* sum) {
  const int64_t blocks = quant::Blocks(k);
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t k0 = b * quant::kBlockK;
    const int64_t len = k - k0 < quant::kBlockK ? k - k0 : quant::kBlockK;
    float amax = 0.0f;
    for (int64_t i = 0; i < len; ++i) amax = std::fmax(amax, std::fabs(x[k0 + i]));
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    int32_t s = 0;
    for (int64_t i = 0; i < quant::kBlockK; ++i) {
      // nearbyint under the default rounding mode = round half to even, as cvtps2dq.
      const int32_t v = i < len ? static_cast<int32_t>(std::nearbyint(x[k0 + i] * inv)) : 0;
      q[k0 + i] = static_cast<int8_t>(v);
      s += q[k0 + i];  // Σ of the stored bytes, even where v was out of range
    }
    scale[b] = amax / 127.0f;
    sum[b] = s;
  }
}


void QMatMul(const internal::QMatMulArgs& a, int64_t p_begin, int64_t p_end) {
  const int64_t blocks = a.x.blocks;
  const int64_t panel_bytes = quant::PanelBytes(a.format, blocks * quant::kBlockK);
  const int64_t kp = blocks * quant::kBlockK;
  const int zero = quant::ZeroPoint(a.format);
  for (int64_t row = 0; row < a.x.m; ++row) {
    const int8_t* xq = a.x.q + row * kp;
    const float* xs = a.x.scale + row * blocks;
    const int32_t* xsum = a.x.sum + row * blocks;
    for (int64_t p = p_begin; p < p_end; ++p) {
      const uint8_t* panel = a.w + p * panel_bytes;
      for (int c = 0; c < quant::kPanelRows; ++c) {
        const int64_t n = p * quant::kPanelRows + c;
        if (n >= a.n) break;
        float acc = 0.0f;
        for (int64_t b = 0; b < blocks; ++b) {
          const uint8_t* block = panel + quant::BlockOffset(a.format, b);
          // kQ6 has a scale per 16 inputs: one integer dot and one FMA per half, in order.
          for (int i0 = 0; i0 < quant::kBlockK; i0 += static_cast<int>(quant::ScaleK(a.format))) {
            int32_t dot = 0;
            for (int i = i0; i < i0 + quant::ScaleK(a.format); ++i) {
              dot += (quant::StoredValue(block, a.format, c, i) - zero) * xq[b * quant::kBlockK + i];
            }
            acc = std::fma(static_cast<float>(dot), quant::StoredScale(panel, a.format, c, b, i0) * xs[b], acc);
          }
          if (a.format == DType::kQ4) {
            // w = d·u − m: the minimum's share, −m·(sx·Σqx), as its own fused step.
            acc = std::fma(quant::StoredMin(panel, a.format, c, b), -(xs[b] * static_cast<float>(xsum[b])), acc);
          }
        }
        if (a.bias != nullptr) acc += a.bias[n];
        a.y[row * a.ldy + n] = acc;
      }
    }
  }
}

}  // namespace corgi::ops::ref
