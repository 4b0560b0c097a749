// `corgi quantize`: writes a checkpoint directory whose linear weights are stored in corgi's
// packed Q8/Q6/Q4 formats (core/quant_format.h), loadable with mmap and no conversion.
//
// The output has the input's tensor names and order; a quantized tensor is stored as U8
// [Panels(N), PanelBytes(format, K)] (weight_binding.h), every other tensor byte for byte.
// config.json gains a "quantization_config" of corgi's own (docs/QUANTIZATION.md):
//   {"quant_method": "corgi", "format_version": 2, "weights": "q4",
//    "panel_rows": 16, "block_k": 32, "scale_dtype": "float16",
//    "formats": {"Q4": <tensor count>, "Q6": <tensor count>, "Q8": <tensor count>}}
// and every other file of the input directory (tokenizer, preprocessor and generation
// configs, chat template) is copied. Files are written atomically; on error the output
// directory may hold some complete files but never a torn one.
#pragma once

#include <string>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/weight_binding.h"

namespace corgi {

struct QuantizeReport {
  int64_t tensors_quantized = 0;
  int64_t tensors_copied = 0;
  int64_t bytes_in = 0;   // tensor data read
  int64_t bytes_out = 0;  // tensor data written
};

// Quantizes the float checkpoint in `in_dir` into `out_dir` (created; must differ from
// in_dir) as PlannedFormat(mode, ·) says. InvalidArgument for mode kAsStored or
// out_dir == in_dir; FailedPrecondition when the input is already quantized; errors of
// loading the input (it is validated like a load) and of writing.
//
// `decoded`: write each quantized weight decoded back to float32 in its stored shape, and
// config.json unchanged — a float checkpoint whose weights are exactly what the format
// stores. Running it measures the format's weight error alone, without the int8
// activations of the quantized kernels (docs/QUANTIZATION.md, "Accuracy").
StatusOr<QuantizeReport> QuantizeCheckpoint(const std::string& in_dir, const std::string& out_dir,
                                            WeightsMode mode, ThreadPool* pool, bool decoded = false);

}  // namespace corgi
