#include "corgi/model/qwen3vl/synthetic.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/weights_table.h"
#include "model/synthetic_values.h"

namespace corgi::qwen3vl {
namespace {

Status CopyFile(const std::string& from, const std::string& to) {
  CORGI_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(from));
  return WriteFileAtomically(to, contents);
}

Status WriteTokenizerFiles(const std::string& src, const std::string& out) {
  namespace fs = std::filesystem;
  const std::string tokenizer_json = src + "/qwen3-derived/tokenizer.json";
  if (!fs::exists(tokenizer_json)) {
    return NotFoundError("tokenizer source '" + tokenizer_json +
                         "' not found; pass --tokenizer-from pointing at shared/data/tokenizer");
  }
  CORGI_RETURN_IF_ERROR(CopyFile(tokenizer_json, out + "/tokenizer.json"));
  CORGI_RETURN_IF_ERROR(CopyFile(src + "/qwen2.5-vl-7b-instruct/vocab.json", out + "/vocab.json"));
  CORGI_RETURN_IF_ERROR(CopyFile(src + "/qwen2.5-vl-7b-instruct/merges.txt", out + "/merges.txt"));
  CORGI_ASSIGN_OR_RETURN(std::string jinja,
                         ReadFileToString(src + "/qwen3-vl-instruct_chat_template_UNVERIFIED/chat_template.jinja"));
  CORGI_ASSIGN_OR_RETURN(std::string config_text,
                         ReadFileToString(src + "/qwen3_from_onnxruntime-extensions/tokenizer_config.json"));
  nlohmann::json config = nlohmann::json::parse(config_text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return DataLossError("tokenizer_config.json in the tokenizer source is not a JSON object");
  }
  // Qwen3-VL checkpoints carry the vision chat template, not the text model's.
  config["chat_template"] = jinja;
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out + "/tokenizer_config.json", config.dump(2)));
  nlohmann::json chat_template = {{"chat_template", jinja}};
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out + "/chat_template.json", chat_template.dump(2)));
  return Status::Ok();
}

}  // namespace

float SyntheticValue(uint64_t seed, const std::string& name, int64_t index, float scale, float offset) {
  return offset + scale * model_internal::SyntheticUniform(model_internal::SyntheticKey(seed, name), index);
}

Status WriteSyntheticCheckpoint(const ModelConfig& config, const SyntheticOptions& options,
                                const std::string& out_dir, ThreadPool* pool) {
  CORGI_RETURN_IF_ERROR(model_internal::PrepareSyntheticDir(options, out_dir));
  ModelConfig written = config;
  written.torch_dtype = model_internal::TorchDtypeName(options.dtype);
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/config.json", ModelConfigToJson(written)));
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/preprocessor_config.json",
                                            PreprocessorConfigToJson(DefaultPreprocessorConfig())));
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/generation_config.json",
                                            GenerationConfigToJson(DefaultGenerationConfig())));
  CORGI_RETURN_IF_ERROR(WriteTokenizerFiles(options.tokenizer_source, out_dir));

  return model_internal::WriteSyntheticTensors(WeightTable(config), options, out_dir, pool);
}

}  // namespace corgi::qwen3vl
