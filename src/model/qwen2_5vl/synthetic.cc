#include "corgi/model/qwen2_5vl/synthetic.h"

#include <filesystem>

#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "model/synthetic_values.h"

namespace corgi::qwen2_5vl {
namespace {

// The release's files that travel with every checkpoint, copied verbatim.
Status CopyReleaseFiles(const std::string& tokenizer_source, const std::string& out) {
  const std::string src = tokenizer_source + "/qwen2.5-vl-7b-instruct/";
  for (const char* file :
       {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "chat_template.json",
        "preprocessor_config.json", "generation_config.json"}) {
    std::error_code ec;
    if (!std::filesystem::exists(src + file, ec)) {
      return NotFoundError("tokenizer source file '" + src + file +
                           "' not found; pass --tokenizer-from pointing at shared/data/tokenizer");
    }
    CORGI_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(src + file));
    CORGI_RETURN_IF_ERROR(WriteFileAtomically(out + "/" + file, contents));
  }
  return Status::Ok();
}

}  // namespace

void SyntheticInit(const WeightSpec& spec, float* scale, float* offset) {
  model_internal::SyntheticInit(spec, scale, offset);
}

float SyntheticValue(uint64_t seed, const WeightSpec& spec, int64_t index) {
  float scale, offset;
  SyntheticInit(spec, &scale, &offset);
  return offset + scale * model_internal::SyntheticUniform(
                              model_internal::SyntheticKey(seed, spec.name), index);
}

Status WriteSyntheticCheckpoint(const ModelConfig& config, const SyntheticOptions& options,
                                const std::string& out_dir, ThreadPool* pool) {
  CORGI_RETURN_IF_ERROR(model_internal::PrepareSyntheticDir(options, out_dir));
  ModelConfig written = config;
  written.torch_dtype = model_internal::TorchDtypeName(options.dtype);
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/config.json", ModelConfigToJson(written)));
  CORGI_RETURN_IF_ERROR(CopyReleaseFiles(options.tokenizer_source, out_dir));

  return model_internal::WriteSyntheticTensors(WeightTable(config), options, out_dir, pool);
}

}  // namespace corgi::qwen2_5vl
