// Private: the SIMD quantized-matmul kernels behind KernelTable::quantize_row and
// KernelTable::qmatmul (kernel_table.h). Each lives in a translation unit compiled with its
// ISA's flags; only call one after dispatch has checked that the CPU has that ISA
// (the VNNI one additionally needs __builtin_cpu_supports("avx512vnni")).
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_table.h"

namespace corgi::ops::internal {

// AVX2 (qmatmul_avx2.cc).
void QuantizeRowAvx2(const float* x, int64_t k, int8_t* q, float* scale, int32_t* sum);
void QMatMulAvx2(const QMatMulArgs& a, int64_t p_begin, int64_t p_end);

// AVX-512F/BW + AVX512_VNNI (qmatmul_vnni.cc).
void QMatMulVnni(const QMatMulArgs& a, int64_t p_begin, int64_t p_end);

}  // namespace corgi::ops::internal
