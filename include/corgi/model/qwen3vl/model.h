// A loaded Qwen3-VL checkpoint: configs, tokenizer and mmap'd weights.
//
//   StatusOr<std::unique_ptr<Model>> model = Model::Load("/models/qwen3-vl-2b");
//   VisionOutput img = *EncodeImages(model->config(), model->weights().vision, ...);
//
// Immutable after Load and safe to share across threads; all mutable inference state
// (KV caches, scratch) belongs to the caller (the engine).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/io/model_config.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/weights.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi::qwen3vl {

class Model {
 public:
  // Reads config.json, preprocessor_config.json (defaults when absent, with a logged warning),
  // generation_config.json (EOS from config when absent), tokenizer.json and the
  // safetensors; checks every tensor against the weight table. Errors name the file
  // or tensor at fault.
  static StatusOr<std::unique_ptr<Model>> Load(const std::string& dir);

  const std::string& directory() const { return directory_; }
  const ModelConfig& config() const { return config_; }
  const PreprocessorConfig& preprocessor() const { return preprocessor_; }
  const GenerationConfig& generation() const { return generation_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const Weights& weights() const { return weights_; }
  // Identity for cache keys: a hash of config.json and the safetensors headers.
  const Hash128& identity() const { return identity_; }
  // Token ids >= this are padding rows of the embedding, never sampled.
  int32_t sampleable_vocab() const { return sampleable_vocab_; }

  // out [n, D] = embed_tokens[ids]. InvalidArgument for ids outside the vocabulary.
  Status Embed(std::span<const int32_t> ids, float* out, ThreadPool* pool) const;

 private:
  Model() = default;
  std::string directory_;
  ModelConfig config_;
  PreprocessorConfig preprocessor_;
  GenerationConfig generation_;
  std::unique_ptr<Tokenizer> tokenizer_;
  TensorStore store_;
  Weights weights_;
  Hash128 identity_;
  int32_t sampleable_vocab_ = 0;
};

}  // namespace corgi::qwen3vl
