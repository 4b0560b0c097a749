// How a checkpoint's stored tensors become the TensorViews a model runs, and which weights
// get quantized.
//
// A tensor can be stored as
//   * F32/BF16/F16 of the table's shape: bound zero-copy into the mmap'd file, or — when
//     the load asks for quantized weights (WeightsMode) and the plan picks a format for
//     it — packed into owned memory at load time;
//   * corgi's packed Q8/Q6/Q4 (written by `corgi quantize`): a U8 tensor [panels,
//     panel_bytes] (quant_format.h), bound zero-copy as a kQ8/kQ6/kQ4 view of the logical
//     [N, K] shape; the panel bytes (different for every format and K) say which format;
//   * F8_E4M3 with a "<name>_scale_inv" F32 tensor of block scales (Qwen's FP8 releases):
//     converted to kQ8 into owned memory at load time.
//
//   CORGI_ASSIGN_OR_RETURN(auto binder, WeightBinder::ForCheckpoint(dir, store, FindWeight, options, layers));
//   CORGI_ASSIGN_OR_RETURN(TensorView w, binder->Bind(spec));   // for every spec
//   binder->Finish(&owned, &formats, &identity);  // `owned` must outlive the views
//
// Not thread-safe (one binder per load); the bound views are immutable.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/aligned_buffer.h"
#include "corgi/core/hash.h"
#include "corgi/core/status.h"
#include "corgi/core/tensor.h"
#include "corgi/core/thread_pool.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/fp8_config.h"
#include "corgi/model/weight_spec.h"

namespace corgi {

// What a load does to float weights: keep them as stored, or quantize (`--weights`).
enum class WeightsMode { kAsStored, kQ8, kQ4 };
// "none", "q8", "q4".
const char* WeightsModeName(WeightsMode mode);
// Parses "none" (also "" and "as-stored"), "q8", "q4"; InvalidArgument naming the choices.
StatusOr<WeightsMode> ParseWeightsMode(std::string_view text);

// How to load a checkpoint (LoadModel).
struct LoadOptions {
  WeightsMode weights = WeightsMode::kAsStored;
  ThreadPool* pool = nullptr;  // for load-time quantization; nullptr = the calling thread
  // FP8 weights dequantized to float32 (fp8 · scale, exactly) instead of run as Q8: the
  // reference an FP8 checkpoint's accuracy is measured against (4× the memory).
  bool dequantize_fp8 = false;
};

// The matrix a linear weight computes with: [N, K]; a Conv3d patch kernel [Hv, C, T, P, P]
// reads as [Hv, C·T·P·P]. Only meaningful for specs with init kLinear or kEmbedding.
Shape MatrixShape(const WeightSpec& spec);
// `stored` (a float tensor of spec's shape) viewed as MatrixShape(spec).
TensorView MatrixView(const TensorView& stored, const WeightSpec& spec);
// True for the tensors that may be stored or run quantized: linear weights, the token
// embedding and lm_head. Norms, biases and position tables always stay in float.
bool IsQuantizable(const WeightSpec& spec);
// The format `mode` gives a float tensor (kQ8/kQ6/kQ4), or nullopt to keep it as stored.
//   q8: every quantizable tensor in Q8.
//   q4: text-decoder linears in Q4, except v_proj and down_proj of the layers
//       MoreBitsLayer picks, the token embedding and lm_head (Q6); the vision tower and
//       mergers in Q8 (docs/QUANTIZATION.md says why). `text_layers` is the decoder's
//       layer count.
std::optional<DType> PlannedFormat(WeightsMode mode, const WeightSpec& spec, int64_t text_layers);
// The decoder layers whose value and down projections q4 keeps in 6 bits: the first and
// last eighth and every third layer between — where 4-bit error costs most (measured in
// docs/QUANTIZATION.md; the same choice as llama.cpp's Q4_K_M makes for its 6-bit layers).
bool MoreBitsLayer(int64_t layer, int64_t text_layers);
// The decoder layers of a weight table (1 + the largest "layers.N." of the text decoder).
int64_t TextLayerCount(std::span<const WeightSpec> table);

// The storage a stored tensor has for `spec`, checked: float of spec's shape; corgi
// packed (U8 [Panels(N), PanelBytes(format, K)]) → kQ8/kQ6/kQ4; F8_E4M3 of spec's shape with
// its scale tensor present. InvalidArgument (shape) or Unimplemented (dtype) naming the
// tensor otherwise.
StatusOr<DType> StoredFormat(const TensorStore& store, const TensorInfo& info, const WeightSpec& spec,
                             FindWeightFn find);

// The packed layout corgi quantize writes and the loader accepts (quantization_config's
// format_version): 2 since q4 became asymmetric with 6-bit block codes and q6 was added.
constexpr int64_t kCorgiFormatVersion = 2;

// Reads config.json's quantization_config in `dir`: nullopt when absent or corgi's own
// ("corgi", FailedPrecondition unless its format_version is kCorgiFormatVersion), the FP8
// settings for "fp8"; Unimplemented naming any other quant_method (GPTQ, AWQ,
// bitsandbytes, ...), errors of ParseFp8QuantizationConfig.
StatusOr<std::optional<Fp8Config>> ReadQuantizationConfig(const std::string& dir);

class WeightBinder {
 public:
  WeightBinder(const TensorStore& store, FindWeightFn find, WeightsMode mode, ThreadPool* pool);
  // See LoadOptions::dequantize_fp8.
  void set_dequantize_fp8(bool on) { dequantize_fp8_ = on; }
  // The binder a family's Model::Load uses for checkpoint `dir`: `options`' mode and pool,
  // FP8 block sizes from its config.json (ReadQuantizationConfig), `text_layers` for the plan.
  static StatusOr<std::unique_ptr<WeightBinder>> ForCheckpoint(const std::string& dir, const TensorStore& store,
                                                               FindWeightFn find, const LoadOptions& options,
                                                               int64_t text_layers);
  // After binding: hands over the owned memory and the formats' description, and makes
  // `identity` (the checkpoint files' hash) that of this load — quantized weights compute
  // other logits, so caches keyed by identity must not mix them with the float model's.
  void Finish(std::vector<AlignedBuffer>* owned, std::string* formats, Hash128* identity);
  // The block sizes of F8_E4M3 weights (ReadQuantizationConfig); without them an F8_E4M3
  // tensor is refused.
  void set_fp8(const Fp8Config& fp8) { fp8_ = fp8; }
  // The decoder's layer count, for PlannedFormat.
  void set_text_layers(int64_t layers) { text_layers_ = layers; }

  // The view `spec` binds to; an empty view when an optional tensor is absent. Float
  // tensors keep their stored shape (callers reshape, e.g. the Conv3d kernel); quantized
  // ones have MatrixShape(spec). FailedPrecondition when the checkpoint is already
  // quantized in another format than the one `mode` asks for.
  StatusOr<TensorView> Bind(const WeightSpec& spec);
  // Bind for a walk over a whole table: stores the view in *slot, or keeps the first error
  // (status()) and skips every later spec.
  void BindInto(const WeightSpec& spec, TensorView* slot);
  const Status& status() const { return first_error_; }

  // Bytes of the bound views by format name ("BF16", "Q8", ...), for reports.
  const std::map<std::string, int64_t>& bytes_by_format() const { return bytes_by_format_; }


 private:
  StatusOr<TensorView> BindView(const WeightSpec& spec);
  StatusOr<TensorView> Quantize(const TensorView& stored, const WeightSpec& spec, DType format);

  const TensorStore& store_;
  FindWeightFn find_;
  WeightsMode mode_;
  ThreadPool* pool_;
  std::vector<AlignedBuffer> buffers_;
  std::map<std::string, int64_t> bytes_by_format_;
  std::optional<Fp8Config> fp8_;
  int64_t text_layers_ = 0;
  bool dequantize_fp8_ = false;
  Status first_error_;
};

// "Q4 1.21 GB, Q8 0.45 GB, F32 0.01 GB": largest first.
std::string DescribeFormats(const std::map<std::string, int64_t>& bytes_by_format);

}  // namespace corgi
