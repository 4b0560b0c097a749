// The public ops: argument checks, thread splitting, and a call into the active kernel
// table for each piece of work (kernel_table.h).
#include "corgi/backend/ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "backend/cpu/kernel_table.h"
#include "corgi/core/check.h"
#include "corgi/core/half.h"
#include "corgi/core/quant_format.h"

namespace corgi::ops {

using internal::ActiveKernels;
using internal::KernelTable;

namespace {

// Below this many multiply-adds (or element visits) a parallel split costs more than it saves.
constexpr int64_t kMinParallelWork = int64_t{1} << 16;

bool IsFloatType(DType t) { return t == DType::kF32 || t == DType::kBF16 || t == DType::kF16; }

// Runs fn(begin, end) over [0, n) in contiguous chunks, one per pool thread, when there is
// enough work; otherwise on the calling thread. A template, so the single-thread path
// (every decode-sized op) allocates nothing.
template <class F>
void ParallelRange(ThreadPool* pool, int64_t n, int64_t work, const F& fn) {
  if (n <= 0) return;
  if (pool == nullptr || pool->num_threads() <= 1 || n == 1 || work < kMinParallelWork) {
    fn(0, n);
    return;
  }
  pool->ParallelFor(static_cast<size_t>(n), [&](size_t begin, size_t end, size_t) {
    fn(static_cast<int64_t>(begin), static_cast<int64_t>(end));
  });
}

// Elementwise ops: chunks of 4096 elements (a multiple of every vector width).
template <class F>
void ParallelElements(ThreadPool* pool, int64_t n, const F& fn) {
  constexpr int64_t kChunk = 4096;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  ParallelRange(pool, chunks, n,
                [&](int64_t b, int64_t e) { fn(b * kChunk, std::min(e * kChunk, n)); });
}

// A contiguous 1-D float vector of length d (norm weights and biases).
void CheckVector(const TensorView& v, int64_t d, const char* what) {
  CORGI_CHECK(v.data != nullptr && IsFloatType(v.dtype) && v.shape.rank() == 1 && v.shape[0] == d &&
              v.is_contiguous())
      << what << " must be a contiguous float vector [" << d << "], got " << v.shape.ToString()
      << " " << DTypeName(v.dtype);
}

}  // namespace

namespace internal {

float LoadScalar(const void* data, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::kBF16:
      return Bf16ToF32(static_cast<const uint16_t*>(data)[i]);
    case DType::kF16:
      return F16ToF32(static_cast<const uint16_t*>(data)[i]);
    default:
      return static_cast<const float*>(data)[i];
  }
}

}  // namespace internal

namespace {

// Work chunks of a quantized matmul, in panels. A thread that takes a chunk takes
// ceil(remaining / (kShareDivisor · threads)) panels rounded up to a multiple of
// kChunkPanels, and never fewer than kChunkPanels ("guided" scheduling): the first chunks of
// a pass are long streams, the last ones short, so the threads finish within a short chunk
// of each other. kChunkPanels is the q4/q8 decode tile (6 panels, 108 KiB of a [*, 2048] q4
// weight). Measured against fixed 12-panel chunks on a 2b decode step's 28 layers (2
// threads, alternating in one process; docs/PERFORMANCE.md): q4 0.94–0.97 of the time, q6
// 0.98–0.99, q8 1.00. A divisor of 2 or 4, a floor of 2, 3 or 12 panels and a cap of 48 were
// no better; fixed 6-panel chunks were worse (more cold stream starts).
constexpr int64_t kChunkPanels = 6;
constexpr double kShareDivisor = 1.5;

// The most weights one MatMulShared call runs together (q/k/v need 3).
constexpr size_t kMaxSharedTargets = 4;

// The quantized-activation buffers of the calling thread, grown as needed: one MatMul call
// at a time per thread uses them (pool threads only read them during that call).
struct ActivationScratch {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int32_t> sum;
  std::vector<int32_t> half_sum;
  std::vector<float> bias32;  // non-float32 biases, converted
};

// y_i = x · w_iᵀ + bias_i for packed weights w_i of one K: x is quantized once, and all
// targets' panels go out in one parallel pass.
void QuantizedMatMuls(const float* x, int64_t ldx, int64_t m, std::span<const MatMulTarget> targets,
                      ThreadPool* pool) {
  CORGI_CHECK(!targets.empty() && targets.size() <= kMaxSharedTargets)
      << "MatMulShared: " << targets.size() << " weights (1 to " << kMaxSharedTargets << ")";
  const int64_t k = targets[0].w.shape[1];
  bool halves = false;  // kQ6's zero point comes off per 16 inputs: Σq of each half too
  int64_t total_n = 0;
  for (const MatMulTarget& o : targets) {
    const int64_t n = o.w.shape[0];
    CORGI_CHECK(o.w.is_contiguous()) << "a " << DTypeName(o.w.dtype) << " weight cannot be a slice";
    CORGI_CHECK(m >= 0 && ldx >= k && o.w.shape[1] == k && o.ldy >= n)
        << "MatMul: m " << m << " ldx " << ldx << " ldy " << o.ldy << " for weight " << o.w.shape.ToString();
    if (o.bias.data != nullptr) CheckVector(o.bias, n, "MatMul bias");
    halves = halves || o.w.dtype == DType::kQ6;
    total_n += n;
  }
  if (m == 0 || total_n == 0) return;
  const KernelTable& t = ActiveKernels();
  const int64_t blocks = quant::Blocks(k), kp = blocks * quant::kBlockK;
  thread_local ActivationScratch scratch;
  if (scratch.q.size() < static_cast<size_t>(m * kp)) scratch.q.resize(static_cast<size_t>(m * kp));
  if (scratch.scale.size() < static_cast<size_t>(m * blocks)) {
    scratch.scale.resize(static_cast<size_t>(m * blocks));
    scratch.sum.resize(static_cast<size_t>(m * blocks));
  }
  if (halves && scratch.half_sum.size() < static_cast<size_t>(2 * m * blocks)) {
    scratch.half_sum.resize(static_cast<size_t>(2 * m * blocks));
  }
  int8_t* q = scratch.q.data();
  float* scale = scratch.scale.data();
  int32_t* sum = scratch.sum.data();
  int32_t* half_sum = halves ? scratch.half_sum.data() : nullptr;
  ParallelRange(pool, m, m * k, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      t.quantize_row(x + r * ldx, k, q + r * kp, scale + r * blocks, sum + r * blocks);
      if (!halves) continue;
      for (int64_t h = r * 2 * blocks; h < (r + 1) * 2 * blocks; ++h) {
        int32_t total = 0;
        for (int64_t j = 0; j < quant::kQ6HalfK; ++j) total += q[h * quant::kQ6HalfK + j];
        half_sum[h] = total;
      }
    }
  });
  internal::QMatMulArgs args[kMaxSharedTargets];
  int64_t first_panel[kMaxSharedTargets + 1] = {0};  // targets' panels, concatenated
  if (scratch.bias32.size() < static_cast<size_t>(total_n)) scratch.bias32.resize(static_cast<size_t>(total_n));
  float* bias32 = scratch.bias32.data();
  for (size_t i = 0; i < targets.size(); ++i) {
    const MatMulTarget& o = targets[i];
    const int64_t n = o.w.shape[0];
    args[i].x = {m, k, blocks, q, scale, sum, half_sum};
    args[i].w = static_cast<const uint8_t*>(o.w.data);
    args[i].format = o.w.dtype;
    args[i].n = n;
    args[i].bias = static_cast<const float*>(o.bias.data);
    if (o.bias.data != nullptr && o.bias.dtype != DType::kF32) {  // the kernels add float32 biases
      ConvertToF32(o.bias.data, o.bias.dtype, n, bias32);
      args[i].bias = bias32;
      bias32 += n;
    }
    args[i].y = o.y;
    args[i].ldy = o.ldy;
    first_panel[i + 1] = first_panel[i] + quant::Panels(n);
  }
  // Split N in whole panels, never K. The panels go out in chunks from a shared counter
  // rather than one fixed half per thread: at decode every matmul is a memory stream, and
  // with a fixed split the thread whose stream ran faster waited for the other (~8 % of the
  // 2b q4 decode's thread time under perf). Chunks shrink as the pass runs out
  // (kShareDivisor) and never span two targets. The tiling never changes a bit of y, so
  // neither does which thread takes which chunk.
  const int64_t total_panels = first_panel[targets.size()];
  const int64_t workers = pool == nullptr ? 1 : static_cast<int64_t>(pool->num_threads());
  const int64_t tasks = std::min((total_panels + kChunkPanels - 1) / kChunkPanels, workers);
  const double share = 1.0 / (kShareDivisor * static_cast<double>(workers));
  std::atomic<int64_t> next_panel{0};
  ParallelRange(pool, tasks, m * total_n * k / 4, [&](int64_t, int64_t) {
    size_t i = 0;  // the target of panel `begin`: chunks are taken in increasing order
    int64_t begin = next_panel.load(std::memory_order_relaxed);
    while (begin < total_panels) {
      while (begin >= first_panel[i + 1]) ++i;
      const auto wanted = static_cast<int64_t>(std::ceil(static_cast<double>(total_panels - begin) * share));
      const int64_t take = std::min(std::max(kChunkPanels, (wanted + kChunkPanels - 1) / kChunkPanels * kChunkPanels),
                                    first_panel[i + 1] - begin);
      // On failure begin holds the counter's current value: recompute the chunk from there.
      if (!next_panel.compare_exchange_weak(begin, begin + take, std::memory_order_relaxed)) continue;
      const int64_t p = begin - first_panel[i];
      t.qmatmul(args[i], p, p + take);
      begin = next_panel.load(std::memory_order_relaxed);
    }
  });
}

}  // namespace

namespace {

// -1: not decided yet (CORGI_BF16_DOT at the first matmul), else 0 / 1.
std::atomic<int> g_bf16_dot{-1};

// Activations [m, k] rounded to bf16 and zero-padded to kp for the bf16-dot kernel, in the
// calling thread's buffer (reused across calls: no allocation per decode step).
const uint16_t* Bf16DotRows(const float* x, int64_t ldx, int64_t m, int64_t k, int64_t kp, ThreadPool* pool) {
  thread_local std::vector<uint16_t> scratch;
  if (scratch.size() < static_cast<size_t>(m * kp)) scratch.resize(static_cast<size_t>(m * kp));
  uint16_t* xb = scratch.data();  // pool threads write through this pointer, not their own scratch
  ParallelRange(pool, m, m * k, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) internal::Bf16DotConvertRow(x + r * ldx, k, kp, xb + r * kp);
  });
  return xb;
}

}  // namespace

bool Bf16DotSupported() {
  __builtin_cpu_init();
  return ActiveKernelPath() == KernelPath::kAvx512 && __builtin_cpu_supports("avx512bf16");
}

bool SetBf16Dot(bool on) {
  if (on && !Bf16DotSupported()) return false;
  g_bf16_dot.store(on ? 1 : 0, std::memory_order_relaxed);
  return true;
}

bool Bf16DotEnabled() {
  int v = g_bf16_dot.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* env = std::getenv("CORGI_BF16_DOT");
    v = env != nullptr && std::string(env) == "1" && Bf16DotSupported() ? 1 : 0;
    g_bf16_dot.store(v, std::memory_order_relaxed);
  }
  return v == 1 && ActiveKernelPath() == KernelPath::kAvx512;
}

void MatMul(const float* x, int64_t ldx, int64_t m, const TensorView& w, const TensorView& bias,
            float* y, int64_t ldy, ThreadPool* pool) {
  if (IsBlockQuantized(w.dtype) && w.shape.rank() == 2) {
    const MatMulTarget target{w, bias, y, ldy};
    QuantizedMatMuls(x, ldx, m, {&target, 1}, pool);
    return;
  }
  CORGI_CHECK(w.shape.rank() == 2 && IsFloatType(w.dtype) && w.strides[1] == 1 &&
              w.strides[0] >= w.shape[1])
      << "MatMul weight must be [N, K] F32/BF16/F16 with unit column stride, got "
      << w.shape.ToString() << " " << DTypeName(w.dtype);
  const int64_t n = w.shape[0], k = w.shape[1];
  CORGI_CHECK(m >= 0 && ldx >= k && ldy >= n) << "MatMul: m " << m << " ldx " << ldx << " ldy "
                                              << ldy << " for weight " << w.shape.ToString();
  if (bias.data != nullptr) {
    CheckVector(bias, n, "MatMul bias");
    // Any float dtype: the kernels read biases with LoadScalar (e.g. bf16 biases beside FP8
    // weights dequantized to f32).
  }
  if (m == 0 || n == 0) return;
  internal::MatMulArgs args;
  args.x = x;
  args.ldx = ldx;
  args.m = m;
  args.k = k;
  args.w = w.data;
  args.w_dtype = w.dtype;
  args.ldw = w.strides[0];
  args.bias = bias.data;
  args.bias_dtype = bias.dtype;
  args.y = y;
  args.ldy = ldy;
  const KernelTable& t = ActiveKernels();
  internal::Bf16DotArgs dot;  // used when bf16 dot products are on (ops::SetBf16Dot)
  const bool bf16_dot = w.dtype == DType::kBF16 && Bf16DotEnabled();
  if (bf16_dot) {
    dot.kp = (k + 31) / 32 * 32;
    dot.xb = Bf16DotRows(x, ldx, m, k, dot.kp, pool);
    dot.m = m;
    dot.k = k;
    dot.w = static_cast<const uint16_t*>(w.data);
    dot.ldw = args.ldw;
    dot.bias = args.bias;
    dot.bias_dtype = args.bias_dtype;
    dot.y = y;
    dot.ldy = ldy;
  }
  // Split N in units of 16 columns (whole register tiles); never split K.
  constexpr int64_t kUnit = 16;
  const int64_t units = (n + kUnit - 1) / kUnit;
  ParallelRange(pool, units, m * n * k, [&](int64_t b, int64_t e) {
    const int64_t n0 = b * kUnit, n1 = std::min(e * kUnit, n);
    if (bf16_dot) {
      internal::Bf16DotColumns(dot, n0, n1);
    } else {
      t.matmul(args, n0, n1);
    }
  });
}

void MatMul(const float* x, int64_t m, const TensorView& w, const TensorView& bias, float* y,
            ThreadPool* pool) {
  CORGI_CHECK(w.shape.rank() == 2) << "MatMul weight must be [N, K]";
  MatMul(x, w.shape[1], m, w, bias, y, w.shape[0], pool);
}

void MatMulShared(const float* x, int64_t ldx, int64_t m, std::span<const MatMulTarget> targets,
                  ThreadPool* pool) {
  if (targets.empty()) return;
  bool fused = targets.size() <= kMaxSharedTargets;
  for (const MatMulTarget& o : targets) {
    fused = fused && IsBlockQuantized(o.w.dtype) && o.w.shape.rank() == 2 &&
            o.w.shape[1] == targets[0].w.shape[1];
  }
  if (fused) {
    QuantizedMatMuls(x, ldx, m, targets, pool);
    return;
  }
  for (const MatMulTarget& o : targets) MatMul(x, ldx, m, o.w, o.bias, o.y, o.ldy, pool);
}

void RmsNorm(const float* x, int64_t ldx, int64_t m, int64_t d, const TensorView& w, float eps,
             bool round_to_bf16, float* y, int64_t ldy, ThreadPool* pool) {
  CheckVector(w, d, "RmsNorm weight");
  CORGI_CHECK(d > 0 && ldx >= d && ldy >= d) << "RmsNorm: d " << d;
  const KernelTable& t = ActiveKernels();
  ParallelRange(pool, m, m * d, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      t.rms_norm_row(x + r * ldx, d, w.data, w.dtype, eps, round_to_bf16, y + r * ldy);
    }
  });
}

void RmsNormHeads(float* x, int64_t s, int64_t heads, int64_t head_dim, int64_t ld,
                  const TensorView& w, float eps, bool round_to_bf16, ThreadPool* pool) {
  CheckVector(w, head_dim, "RmsNormHeads weight");
  CORGI_CHECK(heads > 0 && head_dim > 0 && ld >= heads * head_dim) << "RmsNormHeads: ld " << ld;
  const KernelTable& t = ActiveKernels();
  ParallelRange(pool, s * heads, s * heads * head_dim, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float* row = x + (i / heads) * ld + (i % heads) * head_dim;
      t.rms_norm_row(row, head_dim, w.data, w.dtype, eps, round_to_bf16, row);
    }
  });
}

void LayerNorm(const float* x, int64_t ldx, int64_t m, int64_t d, const TensorView& w,
               const TensorView& b, float eps, float* y, int64_t ldy, ThreadPool* pool) {
  CheckVector(w, d, "LayerNorm weight");
  if (b.data != nullptr) CheckVector(b, d, "LayerNorm bias");
  CORGI_CHECK(d > 0 && ldx >= d && ldy >= d) << "LayerNorm: d " << d;
  const KernelTable& t = ActiveKernels();
  ParallelRange(pool, m, m * d, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      t.layer_norm_row(x + r * ldx, d, w.data, w.dtype, b.data, b.dtype, eps, y + r * ldy);
    }
  });
}

void Silu(const float* x, float* y, int64_t n, ThreadPool* pool) {
  const KernelTable& t = ActiveKernels();
  ParallelElements(pool, n, [&](int64_t b, int64_t e) { t.silu(x + b, y + b, e - b); });
}

void GeluTanh(const float* x, float* y, int64_t n, ThreadPool* pool) {
  const KernelTable& t = ActiveKernels();
  ParallelElements(pool, n, [&](int64_t b, int64_t e) { t.gelu_tanh(x + b, y + b, e - b); });
}

void GeluErf(const float* x, float* y, int64_t n, ThreadPool* pool) {
  const KernelTable& t = ActiveKernels();
  ParallelElements(pool, n, [&](int64_t b, int64_t e) { t.gelu_erf(x + b, y + b, e - b); });
}

void SwiGlu(const float* gate, const float* up, float* y, int64_t n, ThreadPool* pool) {
  const KernelTable& t = ActiveKernels();
  ParallelElements(pool, n,
                   [&](int64_t b, int64_t e) { t.swiglu(gate + b, up + b, y + b, e - b); });
}

void Add(const float* a, const float* b, float* y, int64_t n, ThreadPool* pool) {
  const KernelTable& t = ActiveKernels();
  ParallelElements(pool, n, [&](int64_t s, int64_t e) { t.add(a + s, b + s, y + s, e - s); });
}

void AddScaled(const float* x, float alpha, float* y, int64_t n, ThreadPool* pool) {
  const KernelTable& t = ActiveKernels();
  ParallelElements(pool, n,
                   [&](int64_t b, int64_t e) { t.add_scaled(x + b, alpha, y + b, e - b); });
}

void ApplyRotary(float* x, int64_t s, int64_t heads, int64_t head_dim, int64_t ld, const float* cos,
                 const float* sin, ThreadPool* pool) {
  CORGI_CHECK(head_dim > 0 && head_dim % 2 == 0 && heads > 0 && ld >= heads * head_dim)
      << "ApplyRotary: heads " << heads << " head_dim " << head_dim << " ld " << ld;
  const KernelTable& t = ActiveKernels();
  const int64_t half = head_dim / 2;
  ParallelRange(pool, s, s * heads * head_dim, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      t.rotary_row(x + r * ld, heads, head_dim, cos + r * half, sin + r * half);
  });
}

Status EmbeddingLookup(const TensorView& table, const int32_t* ids, int64_t n, float* out,
                       ThreadPool* pool) {
  CORGI_CHECK(table.shape.rank() == 2 &&
              (IsFloatType(table.dtype) || IsBlockQuantized(table.dtype)) && table.strides[1] == 1)
      << "EmbeddingLookup table must be [V, D] F32/BF16/F16, got " << table.shape.ToString();
  const int64_t vocab = table.shape[0], d = table.shape[1];
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      return InvalidArgumentError("token id " + std::to_string(ids[i]) + " at position " +
                                  std::to_string(i) + " is outside the embedding table [0, " +
                                  std::to_string(vocab) + ")");
    }
  }
  if (IsBlockQuantized(table.dtype)) {
    ParallelRange(pool, n, n * d, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) DequantizeRow(table, ids[i], out + i * d);
    });
    return Status::Ok();
  }
  const size_t elem = DTypeSize(table.dtype);
  const auto* base = static_cast<const uint8_t*>(table.data);
  ParallelRange(pool, n, n * d, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const uint8_t* row = base + static_cast<size_t>(ids[i] * table.strides[0]) * elem;
      ConvertToF32(row, table.dtype, d, out + i * d);
    }
  });
  return Status::Ok();
}

void Softmax(const float* x, float* y, int64_t n) {
  CORGI_CHECK(n >= 1) << "Softmax of an empty vector";
  ActiveKernels().softmax(x, y, n);
}

float ReadSum(const float* x, int64_t n, ThreadPool* pool) {
  const int64_t workers = pool == nullptr ? 1 : static_cast<int64_t>(pool->num_threads());
  std::vector<float> parts(static_cast<size_t>(workers), 0.0f);
  // One contiguous range per thread (not chunks from a counter): each thread's streams
  // then run the whole way without restarting.
  ParallelRange(pool, workers, n, [&](int64_t b, int64_t e) {
    for (int64_t w = b; w < e; ++w) {
      const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
      parts[w] = ActiveKernels().read_sum(x + begin, end - begin);
    }
  });
  float total = 0.0f;
  for (float p : parts) total += p;
  return total;
}

int64_t Argmax(const float* x, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) continue;
    if (best < 0 || x[i] > x[best]) best = i;
  }
  return best;
}

void ConvertToF32(const void* src, DType dtype, int64_t n, float* dst) {
  const size_t count = static_cast<size_t>(n);
  switch (dtype) {
    case DType::kBF16:
      Bf16ToF32(static_cast<const uint16_t*>(src), dst, count);
      return;
    case DType::kF16:
      F16ToF32(static_cast<const uint16_t*>(src), dst, count);
      return;
    case DType::kF32:
      std::copy_n(static_cast<const float*>(src), count, dst);
      return;
    default:
      CORGI_CHECK(false) << "ConvertToF32 from " << DTypeName(dtype);
  }
}

void ConvertFromF32(const float* src, int64_t n, DType dtype, void* dst) {
  const size_t count = static_cast<size_t>(n);
  switch (dtype) {
    case DType::kBF16:
      F32ToBf16(src, static_cast<uint16_t*>(dst), count);
      return;
    case DType::kF16:
      F32ToF16(src, static_cast<uint16_t*>(dst), count);
      return;
    case DType::kF32:
      std::copy_n(src, count, static_cast<float*>(dst));
      return;
    default:
      CORGI_CHECK(false) << "ConvertFromF32 to " << DTypeName(dtype);
  }
}

void RoundToBf16(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = corgi::RoundToBf16(x[i]);
}

}  // namespace corgi::ops
