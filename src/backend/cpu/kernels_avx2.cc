// The avx2 kernel table. This file alone is compiled with -mavx2 -mfma -mf16c
// (src/backend/CMakeLists.txt); nothing here may run before dispatch.cc has checked the CPU.
#include "backend/cpu/attention_impl.h"
#include "backend/cpu/elementwise_impl.h"
#include "backend/cpu/kernel_table.h"
#include "backend/cpu/matmul_impl.h"
#include "backend/cpu/qmatmul_kernels.h"
#include "backend/cpu/simd_avx2.h"

namespace corgi::ops::internal {

const KernelTable& Avx2Kernels() {
  using S = avx2::Simd;
  // Matmul: row tiles of up to 4 rows, at most 8 accumulators (of 16 registers).
  static const KernelTable table = {
      KernelPath::kAvx2,        simd_impl::MatMul<S, 4, 8>, QuantizeRowAvx2, QMatMulAvx2, simd_impl::Attention<S>,
      simd_impl::RmsNormRow<S>, simd_impl::LayerNormRow<S>,    simd_impl::Silu<S>,
      simd_impl::GeluTanh<S>,   simd_impl::GeluErf<S>,         simd_impl::SwiGlu<S>,
      simd_impl::Add<S>,        simd_impl::AddScaled<S>,       simd_impl::RotaryRow<S>,
      simd_impl::Softmax<S>,    simd_impl::ReadSum<S>};
  return table;
}

}  // namespace corgi::ops::internal
