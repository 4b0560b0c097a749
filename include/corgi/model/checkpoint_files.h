// The files of a Hugging Face checkpoint directory that every model family reads the same
// way: preprocessor_config.json and generation_config.json (each optional, with the
// family's defaults), the tokenizer, the safetensors (mapped, not read) and the identity
// hash over config.json and the tensor headers. A family's Model::Load checks the
// directory, parses its own config.json, opens these, then binds its weights to `store`.
//
//   CORGI_RETURN_IF_ERROR(CheckModelDirectory(dir));
//   CORGI_ASSIGN_OR_RETURN(config, LoadModelConfig(dir + "/config.json"));
//   CORGI_ASSIGN_OR_RETURN(files, OpenCheckpointFiles(dir, defaults, config.text.vocab_size));
//
// Pure functions; a CheckpointFiles is immutable once opened and safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/core/status.h"
#include "corgi/io/checkpoint_configs.h"
#include "corgi/io/safetensors.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi {

struct CheckpointFiles {
  std::string directory;
  PreprocessorConfig preprocessor;
  GenerationConfig generation;
  std::unique_ptr<Tokenizer> tokenizer;
  TensorStore store;  // the mapped safetensors; bound weights point into it
  Hash128 identity;   // config.json's bytes and every tensor's name, dtype and size
  // Token ids >= this are padding rows of the embedding: min(tokenizer, config vocab).
  int32_t sampleable_vocab = 0;
};

// What a family assumes when a checkpoint leaves a file out.
struct CheckpointDefaults {
  std::string family;               // "Qwen3-VL", for the warning about a missing file
  PreprocessorConfig preprocessor;  // when preprocessor_config.json is absent (logged)
  std::vector<int64_t> eos_token_ids = {151645, 151643};  // when generation_config has none
};

// NotFound ("model directory '...' does not exist") unless `dir` is a directory.
Status CheckModelDirectory(const std::string& dir);

// Reads the shared files of `dir` (see above); `vocab_size` is config.json's embedding
// rows. Errors name the file at fault (those of LoadPreprocessorConfig,
// LoadGenerationConfig, Tokenizer::Load, TensorStore::Open). A missing optional file is
// not an error; one that is present but unreadable (a dangling symlink) is.
StatusOr<CheckpointFiles> OpenCheckpointFiles(const std::string& dir,
                                              const CheckpointDefaults& defaults,
                                              int64_t vocab_size);

}  // namespace corgi
