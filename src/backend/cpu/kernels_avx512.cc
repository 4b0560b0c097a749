// The avx512 kernel table. This file alone is compiled with -mavx512f -mavx512bw -mavx512vl -mfma
// -mf16c (src/backend/CMakeLists.txt); nothing here may run before dispatch.cc has checked the CPU.
#include "backend/cpu/attention_impl.h"
#include "backend/cpu/elementwise_impl.h"
#include "backend/cpu/kernel_table.h"
#include "backend/cpu/matmul_impl.h"
#include "backend/cpu/qmatmul_kernels.h"
#include "backend/cpu/simd_avx512.h"

namespace corgi::ops::internal {
namespace {

// The VNNI kernel only where the CPU has AVX512_VNNI; otherwise the AVX2 one (both exact:
// the same bits either way).
auto QMatMulAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni") ? QMatMulVnni : QMatMulAvx2;
}

}  // namespace

const KernelTable& Avx512Kernels() {
  using S = avx512::Simd;
  // Matmul: row tiles of up to 6 rows, at most 24 accumulators (of 32 registers).
  static const KernelTable table = {
      KernelPath::kAvx512,      simd_impl::MatMul<S, 6, 24>, QuantizeRowAvx2, QMatMulAvx512(), simd_impl::Attention<S>,
      simd_impl::RmsNormRow<S>, simd_impl::LayerNormRow<S>,    simd_impl::Silu<S>,
      simd_impl::GeluTanh<S>,   simd_impl::GeluErf<S>,         simd_impl::SwiGlu<S>,
      simd_impl::Add<S>,        simd_impl::AddScaled<S>,       simd_impl::RotaryRow<S>,
      simd_impl::Softmax<S>,    simd_impl::ReadSum<S>};
  return table;
}

}  // namespace corgi::ops::internal
