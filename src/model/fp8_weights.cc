#include "corgi/model/fp8_weights.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "corgi/backend/ops.h"
#include "corgi/core/fp8.h"
#include "corgi/core/quant_format.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/fp8_config.h"

namespace corgi {

namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool IsScaleDType(DType d) { return d == DType::kF32 || d == DType::kBF16 || d == DType::kF16; }

// A checked FP8 weight with its scales in float32 and the block grid made explicit (a
// per-tensor scale is one block covering the whole matrix).
struct Fp8Matrix {
  const uint8_t* codes = nullptr;
  int64_t n = 0, k = 0;
  int64_t block_n = 0, block_k = 0;
  int64_t scale_cols = 0;
  std::vector<float> scales;  // [ceil(n/block_n), scale_cols]

  // dst[0, k) = row r dequantized; false when a value is not finite (a NaN code, or a
  // product beyond float range).
  bool DequantizeRow(int64_t r, float* dst) const {
    Fp8E4M3ToF32(codes + r * k, dst, static_cast<size_t>(k));
    const float* scale_row = scales.data() + (r / block_n) * scale_cols;
    bool finite = true;
    for (int64_t b = 0; b < scale_cols; ++b) {
      const int64_t begin = b * block_k, end = std::min(k, begin + block_k);
      const float s = scale_row[b];
      for (int64_t i = begin; i < end; ++i) {
        dst[i] *= s;
        finite &= std::isfinite(dst[i]);
      }
    }
    return finite;
  }
};

std::string Where(std::string_view name) { return std::string(name) + ": "; }

Status CheckScaleShape(std::string_view name, const TensorView& scale, int64_t n, int64_t k, int64_t bn,
                       int64_t bk) {
  const std::string scale_name = Fp8ScaleName(std::string(name));
  if (bn == 0) {
    if (scale.numel() != 1 || scale.shape.rank() > 2) {
      return InvalidArgumentError(Where(name) + scale_name + " has shape " + scale.shape.ToString() +
                                  ", expected one per-tensor scale ([], [1] or [1, 1])");
    }
    return Status::Ok();
  }
  const Shape expected{CeilDiv(n, bn), CeilDiv(k, bk)};
  if (scale.shape != expected) {
    return InvalidArgumentError(Where(name) + scale_name + " has shape " + scale.shape.ToString() +
                                ", expected " + expected.ToString() + " for weight " + Shape{n, k}.ToString() +
                                " in " + std::to_string(bn) + "x" + std::to_string(bk) + " blocks");
  }
  return Status::Ok();
}

StatusOr<Fp8Matrix> Prepare(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                            int64_t block_n, int64_t block_k) {
  CORGI_RETURN_IF_ERROR(CheckFp8Weight(name, weight, scale_inv, block_n, block_k));
  Fp8Matrix m;
  m.codes = weight.as<uint8_t>();
  m.n = weight.shape[0];
  m.k = weight.shape[1];
  m.block_n = block_n == 0 ? m.n : block_n;
  m.block_k = block_k == 0 ? m.k : block_k;
  m.scale_cols = CeilDiv(m.k, m.block_k);
  m.scales.resize(static_cast<size_t>(scale_inv.numel()));
  ops::ConvertToF32(scale_inv.data, scale_inv.dtype, scale_inv.numel(), m.scales.data());
  return m;
}

Status NaNError(std::string_view name, int64_t row) {
  return InvalidArgumentError(Where(name) + "row " + std::to_string(row) +
                              " holds a value that is not finite (a NaN float8 code 0x7f/0xff, or fp8 x scale"
                              " beyond float range)");
}

}  // namespace

Status CheckFp8Weight(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                      int64_t block_n, int64_t block_k) {
  if (weight.dtype != DType::kF8E4M3 || weight.shape.rank() != 2) {
    return InvalidArgumentError(Where(name) + "an FP8 weight must be a rank-2 F8_E4M3 tensor, got " +
                                DTypeName(weight.dtype) + " " + weight.shape.ToString());
  }
  const int64_t n = weight.shape[0], k = weight.shape[1];
  if (n <= 0 || k <= 0 || weight.data == nullptr || !weight.is_contiguous()) {
    return InvalidArgumentError(Where(name) + "an FP8 weight must be a non-empty contiguous matrix, got " +
                                weight.shape.ToString());
  }
  if (block_n < 0 || block_k < 0 || (block_n == 0) != (block_k == 0)) {
    return InvalidArgumentError(Where(name) + "FP8 block size [" + std::to_string(block_n) + ", " +
                                std::to_string(block_k) + "] must be two positive integers or [0, 0] (per tensor)");
  }
  const std::string scale_name = Fp8ScaleName(std::string(name));
  if (!IsScaleDType(scale_inv.dtype) || scale_inv.data == nullptr || !scale_inv.is_contiguous()) {
    return InvalidArgumentError(Where(name) + scale_name + " must be a contiguous F32, BF16 or F16 tensor, got " +
                                DTypeName(scale_inv.dtype));
  }
  CORGI_RETURN_IF_ERROR(CheckScaleShape(name, scale_inv, n, k, block_n, block_k));
  std::vector<float> scales(static_cast<size_t>(scale_inv.numel()));
  ops::ConvertToF32(scale_inv.data, scale_inv.dtype, scale_inv.numel(), scales.data());
  for (size_t i = 0; i < scales.size(); ++i) {
    if (!std::isfinite(scales[i])) {
      return InvalidArgumentError(Where(name) + scale_name + " holds a non-finite scale at index " +
                                  std::to_string(i));
    }
  }
  return Status::Ok();
}

Status ConvertFp8ToQ8(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                      int64_t block_n, int64_t block_k, void* out, ThreadPool* pool) {
  CORGI_ASSIGN_OR_RETURN(const Fp8Matrix m, Prepare(name, weight, scale_inv, block_n, block_k));
  const int64_t panels = quant::Panels(m.n);
  const int64_t panel_bytes = quant::PanelBytes(DType::kQ8, m.k);
  std::atomic<int64_t> first_nan_row{std::numeric_limits<int64_t>::max()};
  auto convert = [&](int64_t begin, int64_t end) {
    std::vector<float> rows(static_cast<size_t>(quant::kPanelRows * m.k));
    for (int64_t p = begin; p < end; ++p) {
      const int64_t row0 = p * quant::kPanelRows, count = std::min(quant::kPanelRows, m.n - row0);
      bool ok = true;
      for (int64_t r = 0; r < count; ++r) {
        if (!m.DequantizeRow(row0 + r, rows.data() + r * m.k)) {
          int64_t seen = first_nan_row.load();
          while (row0 + r < seen && !first_nan_row.compare_exchange_weak(seen, row0 + r)) {
          }
          ok = false;
          break;
        }
      }
      if (ok) ops::QuantizePanel(rows.data(), count, m.k, m.k, DType::kQ8, static_cast<uint8_t*>(out) + p * panel_bytes);
    }
  };
  if (pool == nullptr || pool->num_threads() <= 1 || panels == 1) {
    convert(0, panels);
  } else {
    pool->ParallelFor(static_cast<size_t>(panels), [&](size_t begin, size_t end, size_t) {
      convert(static_cast<int64_t>(begin), static_cast<int64_t>(end));
    });
  }
  if (first_nan_row.load() != std::numeric_limits<int64_t>::max()) return NaNError(name, first_nan_row.load());
  return Status::Ok();
}

Status DequantizeFp8(std::string_view name, const TensorView& weight, const TensorView& scale_inv,
                     int64_t block_n, int64_t block_k, float* out) {
  CORGI_ASSIGN_OR_RETURN(const Fp8Matrix m, Prepare(name, weight, scale_inv, block_n, block_k));
  for (int64_t r = 0; r < m.n; ++r) {
    if (!m.DequantizeRow(r, out + r * m.k)) return NaNError(name, r);
  }
  return Status::Ok();
}

void QuantizeFp8Band(const float* w, int64_t rows, int64_t k, int64_t block_k, uint8_t* codes, float* scales) {
  for (int64_t b = 0; b * block_k < k; ++b) {
    const int64_t begin = b * block_k, end = std::min(k, begin + block_k);
    float amax = 0.0f;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(w[r * k + i]));
    }
    const float scale = amax > 0.0f ? amax / kFp8E4M3Max : 1.0f;
    scales[b] = scale;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = begin; i < end; ++i) codes[r * k + i] = F32ToFp8E4M3Saturate(w[r * k + i] / scale);
    }
  }
}

void QuantizeToFp8(const float* w, int64_t n, int64_t k, int64_t block_n, int64_t block_k, uint8_t* codes,
                   float* scale_inv) {
  const int64_t scale_cols = CeilDiv(k, block_k);
  for (int64_t r0 = 0; r0 < n; r0 += block_n) {
    QuantizeFp8Band(w + r0 * k, std::min(block_n, n - r0), k, block_k, codes + r0 * k,
                    scale_inv + (r0 / block_n) * scale_cols);
  }
}

}  // namespace corgi
