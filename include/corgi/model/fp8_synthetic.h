// Writes a float checkpoint in the layout of Qwen's official FP8 releases, so tests and CI
// can exercise FP8 loading without downloading one (docs/MODELS.md, "FP8 checkpoints").
//
// The output has the input's tensor names. Each converted linear weight becomes
// `<module>.weight` F8_E4M3 plus `<module>.weight_scale_inv` F32 [ceil(N/bn), ceil(K/bk)],
// quantized per block as the official tool does (model/fp8_weights.h QuantizeFp8Band:
// scale_inv = amax/448, code = round(w / scale_inv)); every other tensor is copied
// byte for byte. config.json gains
//   "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
//     "quant_method": "fp8", "weight_block_size": [bn, bk],
//     "modules_to_not_convert": ["lm_head", <every linear left in its float dtype>]}
// and every other file of the directory (tokenizer, preprocessor, generation config, chat
// template) is copied. Tensors stream: one band of block_n rows is in float at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "corgi/core/status.h"

namespace corgi {

struct Fp8WriteOptions {
  int64_t block_n = 128;
  int64_t block_k = 128;
  // Also convert the vision tower's linears (model.visual.*). Off by default: as far as we
  // could establish, the official releases keep the tower in bf16 (docs/MODELS.md); on,
  // it writes the other plausible layout, which corgi's loader must read as well.
  bool quantize_vision = false;
  size_t max_shard_bytes = size_t{4} << 30;
};

// True for the tensors WriteFp8Checkpoint converts: rank-2 "<module>.weight" of a linear
// layer — not an embedding table (embed_tokens, pos_embed), not lm_head, and not in the
// vision tower (names starting "model.visual." or "visual.") unless quantize_vision.
bool IsFp8Target(const std::string& name, int rank, bool quantize_vision);

// Reads the float checkpoint in `in_dir` (TensorStore::Open) and writes its FP8 form into
// `out_dir` (created if needed). Errors: InvalidArgument (out_dir is in_dir, block sizes not
// positive, a tensor to convert that is not F32/BF16/F16, a config.json that already has a
// quantization_config or is not a JSON object), NotFound/DataLoss from opening the input,
// IoError when a file cannot be copied or written.
Status WriteFp8Checkpoint(const std::string& in_dir, const std::string& out_dir,
                          const Fp8WriteOptions& options = {});

}  // namespace corgi
