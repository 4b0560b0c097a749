// CPU ops for the Qwen3-VL vision tower and text decoder.
//
// Plain functions over raw float32 activations, TensorView weights (F32, BF16 or F16)
// and an optional ThreadPool (nullptr = run on the calling thread). Activations are
// row-major; "ld" arguments are row strides in elements (>= the row width), so views
// into a larger buffer (e.g. q/k/v inside a fused qkv output) need no copy.
//
//   // h [S, D] -> q [S, nh*hd]: y = x·Wᵀ (+ b), W as stored by nn.Linear, [N, K].
//   ops::MatMul(h, S, layer.q_proj, {}, q, pool);
//   ops::RmsNormHeads(q, S, nh, hd, nh * hd, layer.q_norm, 1e-6f, false, pool);
//   ops::ApplyRotary(q, S, nh, hd, nh * hd, cos, sin, pool);
//   ops::Attention({q, nh * hd}, {k_cache, nkv * hd}, {v_cache, nkv * hd}, S,
//                  past + S, {nh, nkv, hd, 1 / sqrtf(hd), true, past}, {o, nh * hd}, pool);
//
// Every op has a scalar reference (src/backend/cpu/ref/) and fast AVX2 / AVX-512 paths
// chosen at run time from the CPU's features; CORGI_KERNELS=ref|avx2|avx512 forces one.
//
// Contracts shared by all functions below:
//  * Ownership: nothing is retained; all pointers are borrowed for the call only.
//  * Failure: shape/dtype mismatches are programmer errors (CORGI_CHECK aborts); the model
//    validates checkpoint shapes at load. Only EmbeddingLookup (token ids may come from
//    users) returns a Status.
//  * Thread-safety: functions are reentrant; concurrent calls must use different output
//    buffers and must not share one ThreadPool (ThreadPool is not re-entrant).
//  * Aliasing: outputs may alias inputs only where a comment says "in place".
//  * Determinism and batch invariance: each output row depends only on its own input
//    row(s) and the weights, bitwise, whatever the number of rows, the surrounding rows or
//    the thread count (within one kernel path). Different paths agree to rounding.
#pragma once

#include <cstdint>
#include <span>

#include "corgi/core/status.h"
#include "corgi/core/tensor.h"
#include "corgi/core/thread_pool.h"

namespace corgi::ops {

// ---------------------------------------------------------------------------------------
// Kernel path selection
// ---------------------------------------------------------------------------------------

enum class KernelPath : uint8_t { kRef, kAvx2, kAvx512 };

// "ref", "avx2", "avx512".
const char* KernelPathName(KernelPath path);
// True when this CPU can run `path` (kRef always; kAvx2 needs AVX2+FMA+F16C; kAvx512 needs
// AVX-512 F/BW/VL plus those).
bool KernelPathSupported(KernelPath path);
// The path ops use now. Chosen on first call: CORGI_KERNELS if set (an unknown or
// unsupported value logs a warning and falls back), else the best supported path.
KernelPath ActiveKernelPath();
// Forces a path (tests, benchmarks). CHECK-fails if unsupported. Not thread-safe with
// concurrently running ops.
void SetKernelPath(KernelPath path);

// ---------------------------------------------------------------------------------------
// Linear layers
// ---------------------------------------------------------------------------------------

// y[m, n] = Σ_k x[m, k]·W[n, k] (+ bias[n]), accumulated in float32.
//   x    [M, K] float32, row stride ldx >= K
//   w    [N, K] F32/BF16/F16, strides {ldw >= K, 1} (a row slice of a bigger weight is fine),
//        or a packed kQ8/kQ6/kQ4 weight (core/quant_format.h; a whole tensor, never a slice)
//   bias [N] F32/BF16/F16, or an empty view (data == nullptr) for none
//   y    [M, N] float32, row stride ldy >= N; must not overlap x
// Work is split over N across the pool, never over K: results are batch invariant.
//
// Quantized weights: each row of x is first quantized in blocks of 32 inputs
// (QuantizeActivations), then y[m, n] = Σ_b float(Σ_{k in b} qw·qx)·(sw[n,b]·sx[m,b]),
// the blocks added in order with one fused multiply-add each (kQ6, with a scale per 16
// inputs, one per half; kQ4, whose w = d·u − m, a second one per block:
// −m[n,b]·(sx[m,b]·Σ_{k in b} qx)), + bias. The integer sums are
// exact and the float steps fixed, so every kernel path gives bitwise the same y.
void MatMul(const float* x, int64_t ldx, int64_t m, const TensorView& w, const TensorView& bias,
            float* y, int64_t ldy, ThreadPool* pool);
// One weight of a MatMulShared call, with its bias and output (as MatMul's).
struct MatMulTarget {
  TensorView w;
  TensorView bias;
  float* y = nullptr;
  int64_t ldy = 0;
};

// Several weights applied to one x (a layer's q/k/v or gate/up projections): each y is
// bitwise what MatMul(x, ldx, m, w, bias, y, ldy) gives. Packed weights of one K (up to 4)
// share one quantization of x and one parallel pass over all their panels, so a decode
// step waits at one barrier instead of one per weight; other weights run one by one.
void MatMulShared(const float* x, int64_t ldx, int64_t m, std::span<const MatMulTarget> targets,
                  ThreadPool* pool);
// Contiguous x [M, K] and y [M, N].
void MatMul(const float* x, int64_t m, const TensorView& w, const TensorView& bias, float* y,
            ThreadPool* pool);

// ---------------------------------------------------------------------------------------
// Quantized weights (formats: core/quant_format.h)
// ---------------------------------------------------------------------------------------

// Packs rows [0, rows) of a weight panel (rows <= 16, each of k floats, row stride ld) into
// one panel of `format` (kQ8, kQ6 or kQ4): quant::PanelBytes(format, k) bytes at out.
// Missing rows and the k tail are zero. kQ8: scale = absmax/127 (rounded to float16),
// q = round(w/scale). kQ6: per 16 inputs the scale among a fixed set of candidates that
// minimizes the squared error, then per group of 8 blocks a float16 D with signed 8-bit codes
// (the code near scale/D with the least error), q = clamp(round(w/d), -32, 31). kQ4: per block the
// least-squares (d, m) over a fixed set of candidate assignments, then per group of 8
// blocks the float16 D and M with 6-bit codes, u = clamp(round((w + m)/d), 0, 15) under
// the stored d and m. Deterministic.
void QuantizePanel(const float* rows, int64_t num_rows, int64_t k, int64_t ld, DType format,
                   void* out);

// Packs a whole weight w [N, K] (F32/BF16/F16, unit column stride) into `format`, writing
// quant::PackedBytes(format, N, K) bytes at out. Panels are split across the pool; any
// thread count gives the same bytes.
void QuantizeWeights(const TensorView& w, DType format, void* out, ThreadPool* pool);

// dst[0, K) = the dequantized row n of a kQ8/kQ6/kQ4 weight view [N, K] (d·q − m, in float32).
void DequantizeRow(const TensorView& w, int64_t n, float* dst);

// Activations quantized for a kQ8/kQ6/kQ4 matmul: per row, blocks of 32 inputs with
// scale = absmax/127 and q = round-to-nearest-even(x·(127/absmax)) in [-127, 127]
// (all-zero blocks: scale 0, q 0); the k tail is zero.
struct QuantizedActivations {
  int64_t m = 0;
  int64_t k = 0;       // logical width
  int64_t blocks = 0;  // quant::Blocks(k); q rows are 32·blocks bytes
  const int8_t* q = nullptr;      // [m, 32·blocks]
  const float* scale = nullptr;   // [m, blocks]
  const int32_t* sum = nullptr;   // [m, blocks]: Σ q over the block (for zero points)
  const int32_t* half_sum = nullptr;  // [m, 2·blocks]: Σ q over each 16 (kQ6 only; else null)
};

// ---------------------------------------------------------------------------------------
// Normalization (statistics in float32)
// ---------------------------------------------------------------------------------------

// RMSNorm per row: y = w ⊙ n, n = x·rsqrt(mean(x²) + eps) (spec §5.2).
// round_to_bf16: round n to bf16 before the multiply (emulates a bf16 model).
//   x [M, D] row stride ldx; w [D] any float dtype; y [M, D] row stride ldy; in place ok.
void RmsNorm(const float* x, int64_t ldx, int64_t m, int64_t d, const TensorView& w, float eps,
             bool round_to_bf16, float* y, int64_t ldy, ThreadPool* pool);

// Per-head RMSNorm in place (q_norm / k_norm): x [S, heads, head_dim] with token row stride
// ld (>= heads*head_dim); each head vector is normalized over head_dim with w [head_dim].
void RmsNormHeads(float* x, int64_t s, int64_t heads, int64_t head_dim, int64_t ld,
                  const TensorView& w, float eps, bool round_to_bf16, ThreadPool* pool);

// LayerNorm per row: y = (x − mean)·rsqrt(var + eps) ⊙ w + b, biased variance.
//   x [M, D] row stride ldx; w, b [D] any float dtype (b may be empty); y [M, D] stride ldy;
//   in place ok.
void LayerNorm(const float* x, int64_t ldx, int64_t m, int64_t d, const TensorView& w,
               const TensorView& b, float eps, float* y, int64_t ldy, ThreadPool* pool);

// ---------------------------------------------------------------------------------------
// Elementwise (n elements, contiguous; y may equal x — in place ok)
// ---------------------------------------------------------------------------------------

// y = x·sigmoid(x)
void Silu(const float* x, float* y, int64_t n, ThreadPool* pool);
// y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))   (gelu_pytorch_tanh, vision MLP)
void GeluTanh(const float* x, float* y, int64_t n, ThreadPool* pool);
// y = 0.5·x·(1 + erf(x/√2))   (exact GELU, nn.GELU(), vision mergers)
void GeluErf(const float* x, float* y, int64_t n, ThreadPool* pool);
// y = silu(gate) ⊙ up; y may equal gate or up.
void SwiGlu(const float* gate, const float* up, float* y, int64_t n, ThreadPool* pool);
// y = a + b; y may equal a or b (residual add).
void Add(const float* a, const float* b, float* y, int64_t n, ThreadPool* pool);
// y += alpha·x
void AddScaled(const float* x, float alpha, float* y, int64_t n, ThreadPool* pool);

// ---------------------------------------------------------------------------------------
// Rotary position embedding (NeoX half split), float32, in place
// ---------------------------------------------------------------------------------------

// For each token t and head h, with half = head_dim/2 and i < half:
//   x'[i]      = x[i]·cos[t,i] − x[i+half]·sin[t,i]
//   x'[i+half] = x[i+half]·cos[t,i] + x[i]·sin[t,i]
//   x [S, heads, head_dim], token row stride ld; cos, sin [S, head_dim/2] contiguous.
// Text M-RoPE and the vision 2-D rotary both reduce to this once the model layer has built
// the per-token angle tables (spec §4 step 3, §5.3). head_dim must be even.
void ApplyRotary(float* x, int64_t s, int64_t heads, int64_t head_dim, int64_t ld, const float* cos,
                 const float* sin, ThreadPool* pool);

// ---------------------------------------------------------------------------------------
// Attention: out = softmax(q·kᵀ·scale [+ causal mask])·v, softmax in float32
// ---------------------------------------------------------------------------------------

// A row-strided [rows, heads, head_dim] activation: head h of row r starts at
// data + r*ld + h*head_dim.
struct RowsView {
  const float* data = nullptr;
  int64_t ld = 0;
};
struct MutableRowsView {
  float* data = nullptr;
  int64_t ld = 0;
};

struct AttentionParams {
  int64_t num_heads = 0;     // query heads nh
  int64_t num_kv_heads = 0;  // nkv; nh % nkv == 0; query head j reads kv head j / (nh/nkv)
  int64_t head_dim = 0;      // <= 256
  float scale = 1.0f;        // usually 1/sqrt(head_dim)
  bool causal = false;
  int64_t past = 0;  // causal only: query i sees keys j <= past + i
};

// q [Sq, nh, hd]; k, v [Skv, nkv, hd] (e.g. a KV cache with Skv = past + Sq filled rows);
// out [Sq, nh, hd] (must not overlap q, k or v). Causal requires skv >= past + sq.
// Streaming ("flash") softmax over fixed key blocks counted from key 0: no Sq×Skv matrix is
// formed, and a query row's result is bitwise the same whether it is computed in a prefill
// or alone as a decode step with the same past. Threads split (query block × head).
void Attention(RowsView q, RowsView k, RowsView v, int64_t sq, int64_t skv,
               const AttentionParams& params, MutableRowsView out, ThreadPool* pool);

// Keys/values stored in fixed-size pages (a paged KV cache): head h of row j of the view
// is pages[j / page_rows] + (j % page_rows) * ld + h * head_stride. head_stride 0 means
// head_dim (heads side by side in a row, like RowsView). Any page size and layout gives
// results bitwise equal to the same rows stored contiguously (the kernel copies each key
// block before use).
struct PagedRowsView {
  const float* const* pages = nullptr;
  int64_t page_rows = 0;
  int64_t ld = 0;
  int64_t head_stride = 0;
};

// Keys stored transposed per page and kv head (the KV cache, model/kv_pages.h): key d of row
// j, kv head h is pages[j / page_rows][h * head_stride + d * page_rows + j % page_rows]. The
// kernel wants each block of keys as [head_dim, keys]; stored so, a block within one page is
// read in place instead of being transposed at every decode step.
struct PagedKeysView {
  const float* const* pages = nullptr;
  int64_t page_rows = 0;
  int64_t head_stride = 0;  // >= head_dim * page_rows
};

// Attention with paged k and v; otherwise exactly Attention (bitwise). The page arrays must
// cover skv rows.
void AttentionPaged(RowsView q, PagedRowsView k, PagedRowsView v, int64_t sq, int64_t skv,
                    const AttentionParams& params, MutableRowsView out, ThreadPool* pool);
void AttentionPaged(RowsView q, PagedKeysView k, PagedRowsView v, int64_t sq, int64_t skv,
                    const AttentionParams& params, MutableRowsView out, ThreadPool* pool);

// Block-diagonal, non-causal attention over segments (vision: one segment per image frame).
// cu_seqlens [num_segments + 1], cu_seqlens[0] = 0, non-decreasing: segment s is rows
// [cu_seqlens[s], cu_seqlens[s+1]) of q, k, v and out, and attends only to itself.
// params.causal must be false.
void AttentionSegments(RowsView q, RowsView k, RowsView v, const int64_t* cu_seqlens,
                       int64_t num_segments, const AttentionParams& params, MutableRowsView out,
                       ThreadPool* pool);

// ---------------------------------------------------------------------------------------
// Embeddings, sampling helpers, conversion
// ---------------------------------------------------------------------------------------

// out[i, :] = float32(table[ids[i], :]).  table [V, D] F32/BF16/F16 (row stride from its
// strides) or kQ8/kQ6/kQ4 (dequantized rows); out [n, D] contiguous. InvalidArgument if an id is outside [0, V); out is then
// unspecified.
Status EmbeddingLookup(const TensorView& table, const int32_t* ids, int64_t n, float* out,
                       ThreadPool* pool);

// y = softmax(x) over n values (max-subtracted, float32). In place ok. n >= 1.
void Softmax(const float* x, float* y, int64_t n);

// bf16 dot products for matmuls against bf16 weights (AVX512_BF16's vdpbf16ps): the
// activations are rounded to bf16 and pairs of products accumulate in float32, twice the
// multiply-adds per instruction of the float32 kernel, for compute-bound matmuls (prefill,
// the vision tower). Less exact than the float32 path (docs/QUANTIZATION.md, "bf16 dot
// products"); still batch invariant (every M gives a row the same bits). Off by default,
// process-wide; CORGI_BF16_DOT=1 turns it on at the first matmul. SetBf16Dot(true) returns
// false and changes nothing where !Bf16DotSupported(): the CPU lacks AVX512_BF16 or the
// active kernel path is not avx512.
bool Bf16DotSupported();
bool SetBf16Dot(bool on);
bool Bf16DotEnabled();

// Σ x[0, n), read at the speed memory allows: each thread reads its part as several streams of
// whole cache lines, as the decode kernels read weights. For measuring read bandwidth
// (`corgi bench model`); the summation order depends on the kernel path and the threads.
float ReadSum(const float* x, int64_t n, ThreadPool* pool);

// Index of the largest value (the first one on ties; NaNs are skipped). -1 if n == 0 or all
// values are NaN.
int64_t Argmax(const float* x, int64_t n);

// dst[i] = float32(src[i]) for n elements of dtype F32/BF16/F16.
void ConvertToF32(const void* src, DType dtype, int64_t n, float* dst);
// dst[i] = dtype(src[i]) (round to nearest even) for F32/BF16/F16.
void ConvertFromF32(const float* src, int64_t n, DType dtype, void* dst);
// x[i] = bf16(x[i]) as float, in place (bf16 emulation between ops).
void RoundToBf16(float* x, int64_t n);

}  // namespace corgi::ops
