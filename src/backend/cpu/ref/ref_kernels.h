// Private: the scalar reference kernels — "the math" every fast path is tested against.
// Plain loops in the obvious order, float32 accumulation, libm transcendentals.
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_table.h"

namespace corgi::ops::ref {

void MatMul(const internal::MatMulArgs& a, int64_t n_begin, int64_t n_end);
void Bf16DotColumns(const internal::Bf16DotArgs& a, int64_t n_begin, int64_t n_end);
void Bf16DotConvertRow(const float* x, int64_t k, int64_t kp, uint16_t* xb);
void QuantizeRow(const float* x, int64_t k, int8_t* q, float* scale, int32_t* sum);
void QMatMul(const internal::QMatMulArgs& a, int64_t p_begin, int64_t p_end);
void Attention(const internal::AttentionArgs& a, int64_t head, int64_t q_begin, int64_t q_end);
void RmsNormRow(const float* x, int64_t d, const void* w, DType w_dtype, float eps,
                bool round_to_bf16, float* y);
void LayerNormRow(const float* x, int64_t d, const void* w, DType w_dtype, const void* b,
                  DType b_dtype, float eps, float* y);
void Silu(const float* x, float* y, int64_t n);
void GeluTanh(const float* x, float* y, int64_t n);
void GeluErf(const float* x, float* y, int64_t n);
void SwiGlu(const float* gate, const float* up, float* y, int64_t n);
void Add(const float* a, const float* b, float* y, int64_t n);
void AddScaled(const float* x, float alpha, float* y, int64_t n);
void RotaryRow(float* x, int64_t heads, int64_t head_dim, const float* cos, const float* sin);
void Softmax(const float* x, float* y, int64_t n);
float ReadSum(const float* x, int64_t n);

}  // namespace corgi::ops::ref
