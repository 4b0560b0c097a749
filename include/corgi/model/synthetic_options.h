// Options for writing a synthetic checkpoint (`corgi make-model`), shared by every family.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "corgi/core/dtype.h"

namespace corgi {

struct SyntheticOptions {
  uint64_t seed = 0;
  DType dtype = DType::kBF16;  // F32, BF16 or F16
  // Directory holding the tokenizer sources (shared/data/tokenizer layout):
  // qwen3-derived/tokenizer.json, qwen2.5-vl-7b-instruct/{vocab.json,merges.txt,...},
  // qwen3_from_onnxruntime-extensions/tokenizer_config.json,
  // qwen3-vl-instruct_chat_template_UNVERIFIED/chat_template.jinja.
  std::string tokenizer_source;
  // > 0: scale the final RMSNorm so the logits' standard deviation is about this value
  // (random weights otherwise give near-flat next-token distributions; a trained model's
  // top-1 is usually far ahead: `--logit-std`, docs/QUANTIZATION.md). 0: off.
  float logit_std = 0.0f;
  // Shards above this size, like Hugging Face's save_pretrained (4 GB as in Qwen's releases).
  size_t max_shard_bytes = 4000000000ull;
};

}  // namespace corgi
