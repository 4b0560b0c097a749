// Private: the per-ISA kernel tables behind include/corgi/backend/ops.h.
//
// ops.cc validates arguments and splits work across threads; each table entry computes
// one piece (a column range of a matmul, a query block of one head, one row of a norm,
// a chunk of an elementwise op) on the calling thread. Every path fills every entry, so
// a test can run any op on any path and compare it with the reference.
#pragma once

#include <cstdint>

#include "corgi/backend/ops.h"
#include "corgi/core/dtype.h"

namespace corgi::ops::internal {

struct MatMulArgs {
  const float* x = nullptr;  // [M, K], row stride ldx
  int64_t ldx = 0;
  int64_t m = 0;
  int64_t k = 0;
  const void* w = nullptr;  // [N, K] of w_dtype, row stride ldw
  DType w_dtype = DType::kF32;
  int64_t ldw = 0;
  const void* bias = nullptr;  // [N] of bias_dtype, or nullptr
  DType bias_dtype = DType::kF32;
  float* y = nullptr;  // [M, N], row stride ldy
  int64_t ldy = 0;
};

// A matmul against a packed kQ8/kQ6/kQ4 weight, x already quantized (ops.h).
struct QMatMulArgs {
  QuantizedActivations x;
  const uint8_t* w = nullptr;  // packed [N, K] of `format`
  DType format = DType::kQ8;
  int64_t n = 0;
  const float* bias = nullptr;  // [N] or nullptr
  float* y = nullptr;           // [M, N], row stride ldy
  int64_t ldy = 0;
};

struct AttentionArgs {
  const float* q = nullptr;  // [Sq, nh, hd], row stride ldq
  const float* k = nullptr;  // [Skv, nkv, hd], row stride ldk
  const float* v = nullptr;  // [Skv, nkv, hd], row stride ldv
  float* out = nullptr;      // [Sq, nh, hd], row stride ldo
  int64_t ldq = 0, ldk = 0, ldv = 0, ldo = 0;
  int64_t sq = 0;
  int64_t skv = 0;
  AttentionParams p;
  // Paged keys/values (k, v unused): row j lives in page j / page_rows at row j % page_rows.
  const float* const* k_pages = nullptr;
  const float* const* v_pages = nullptr;
  int64_t page_rows = 0;
  // Floats between kv heads of one row: head_dim, or a paged view's head_stride.
  int64_t k_head_stride = 0, v_head_stride = 0;
  // Paged keys stored transposed (PagedKeysView): key d of row j, head h at
  // k_pages[j / page_rows] + h * k_head_stride + d * page_rows + j % page_rows.
  bool k_transposed = false;

  // The head_dim keys (values) of kv head `head` in row j; not for transposed keys.
  const float* Key(int64_t j, int64_t head) const {
    return (k_pages == nullptr ? k + j * ldk : k_pages[j / page_rows] + (j % page_rows) * ldk) +
           head * k_head_stride;
  }
  const float* Value(int64_t j, int64_t head) const {
    return (v_pages == nullptr ? v + j * ldv : v_pages[j / page_rows] + (j % page_rows) * ldv) +
           head * v_head_stride;
  }
  // Key d of row j, head `head`, in any layout (the scalar reference).
  float KeyAt(int64_t j, int64_t head, int64_t d) const {
    if (!k_transposed) return Key(j, head)[d];
    return k_pages[j / page_rows][head * k_head_stride + d * page_rows + j % page_rows];
  }
  // Transposed keys: where key 0 of row j, head `head` is; *ld = the distance to key 1.
  const float* TransposedKeys(int64_t j, int64_t head, int64_t* ld) const {
    *ld = page_rows;
    return k_pages[j / page_rows] + head * k_head_stride + j % page_rows;
  }
  // Whether rows [j, j + count) lie in one page (always true when not paged).
  bool RowsInOnePage(int64_t j, int64_t count) const {
    return k_pages == nullptr || j / page_rows == (j + count - 1) / page_rows;
  }
  // Whether value rows [j, j + count) of a head lie back to back (row stride head_dim).
  bool ValuesContiguous(int64_t j, int64_t count) const {
    return ldv == p.head_dim && (v_pages == nullptr || j / page_rows == (j + count - 1) / page_rows);
  }
};

// Keys per block of the streaming softmax. Fixed for every path and every call: a query
// row's result depends on the block partition of its keys, which must not depend on Sq.
constexpr int64_t kAttentionKeyBlock = 64;
// (query row, head) pairs per attention work item: a block of query rows times the query
// heads that share one kv head, which then share one copy of each key/value block.
constexpr int64_t kAttentionRowsPerItem = 64;
constexpr int64_t kMaxHeadDim = 256;

struct KernelTable {
  KernelPath path;
  // Columns [n_begin, n_end) of y for all M rows.
  void (*matmul)(const MatMulArgs& a, int64_t n_begin, int64_t n_end);
  // One activation row of k floats into q [32·blocks], scale [blocks], sum [blocks]
  // (QuantizedActivations' rule; bitwise the same on every path).
  void (*quantize_row)(const float* x, int64_t k, int8_t* q, float* scale, int32_t* sum);
  // Panels [p_begin, p_end) of y (columns 16·p_begin .. min(16·p_end, N)) for all M rows.
  void (*qmatmul)(const QMatMulArgs& a, int64_t p_begin, int64_t p_end);
  // Query rows [q_begin, q_end) of every query head reading kv head `kv_head`;
  // (q_end - q_begin) · (num_heads / num_kv_heads) <= kAttentionRowsPerItem.
  void (*attention)(const AttentionArgs& a, int64_t kv_head, int64_t q_begin, int64_t q_end);
  // One row of d values; w (and b) contiguous [d] of the given dtype; b may be nullptr.
  void (*rms_norm_row)(const float* x, int64_t d, const void* w, DType w_dtype, float eps,
                       bool round_to_bf16, float* y);
  void (*layer_norm_row)(const float* x, int64_t d, const void* w, DType w_dtype, const void* b,
                         DType b_dtype, float eps, float* y);
  void (*silu)(const float* x, float* y, int64_t n);
  void (*gelu_tanh)(const float* x, float* y, int64_t n);
  void (*gelu_erf)(const float* x, float* y, int64_t n);
  void (*swiglu)(const float* gate, const float* up, float* y, int64_t n);
  void (*add)(const float* a, const float* b, float* y, int64_t n);
  void (*add_scaled)(const float* x, float alpha, float* y, int64_t n);
  // One token: x [heads, head_dim] contiguous; cos, sin [head_dim/2].
  void (*rotary_row)(float* x, int64_t heads, int64_t head_dim, const float* cos, const float* sin);
  void (*softmax)(const float* x, float* y, int64_t n);
  // Σ of x[0, n) read as kReadStreams interleaved streams of whole cache lines: the memory
  // bandwidth probe (ops::ReadSum), reading the way the decode kernels' panel streams do.
  float (*read_sum)(const float* x, int64_t n);
};

// The bf16-dot matmul (ops::SetBf16Dot; matmul_bf16dot.cc, AVX512_BF16 only).
struct Bf16DotArgs {
  const uint16_t* xb = nullptr;  // [M, kp] activations rounded to bf16, zero-padded to kp
  int64_t m = 0, k = 0, kp = 0;  // kp: k rounded up to 32
  const uint16_t* w = nullptr;   // [N, K] bf16, row stride ldw
  int64_t ldw = 0;
  const void* bias = nullptr;  // [N] of bias_dtype, or nullptr
  DType bias_dtype = DType::kF32;
  float* y = nullptr;  // [M, N], row stride ldy
  int64_t ldy = 0;
};
// xb[0, kp) = bf16(x[0, k)) rounded to nearest even, then zeros.
void Bf16DotConvertRow(const float* x, int64_t k, int64_t kp, uint16_t* xb);
void Bf16DotColumns(const Bf16DotArgs& a, int64_t n_begin, int64_t n_end);

// Streams of ops::ReadSum per thread (each a contiguous quarter of the thread's range).
constexpr int kReadStreams = 4;

const KernelTable& RefKernels();
// Only call these when KernelPathSupported() says so: their code uses the ISA.
const KernelTable& Avx2Kernels();
const KernelTable& Avx512Kernels();
// The table of ActiveKernelPath().
const KernelTable& ActiveKernels();

// Scalar element load used by every path for biases and norm weights.
float LoadScalar(const void* data, DType dtype, int64_t i);

}  // namespace corgi::ops::internal
