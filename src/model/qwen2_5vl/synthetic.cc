#include "corgi/model/qwen2_5vl/synthetic.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "model/synthetic_values.h"

namespace corgi::qwen2_5vl {
namespace {

const char* TorchDtypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "float32";
    case DType::kF16:
      return "float16";
    default:
      return "bfloat16";
  }
}

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
  const float kSqrt3 = 1.7320508f;  // uniform noise in [-1, 1) has std 1/sqrt(3)
  *offset = 0.0f;
  switch (spec.init) {
    case WeightInit::kLinear:
      *scale = kSqrt3 / std::sqrt(static_cast<float>(spec.fan_in));
      break;
    case WeightInit::kBias:
      *scale = kSqrt3 * 0.02f;
      break;
    case WeightInit::kNormWeight:
      *scale = kSqrt3 * 0.1f;
      *offset = 1.0f;
      break;
    case WeightInit::kEmbedding:
      *scale = kSqrt3 * 0.02f;
      break;
  }
}

float SyntheticValue(uint64_t seed, const WeightSpec& spec, int64_t index) {
  float scale, offset;
  SyntheticInit(spec, &scale, &offset);
  return offset + scale * model_internal::SyntheticUniform(
                              model_internal::SyntheticKey(seed, spec.name), index);
}

Status WriteSyntheticCheckpoint(const ModelConfig& config, const SyntheticOptions& options,
                                const std::string& out_dir, ThreadPool* pool) {
  if (options.dtype != DType::kF32 && options.dtype != DType::kBF16 &&
      options.dtype != DType::kF16) {
    return InvalidArgumentError(std::string("unsupported dtype ") + DTypeName(options.dtype) +
                                " (F32, BF16, F16)");
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create '" + out_dir + "': " + ec.message());

  ModelConfig written = config;
  written.torch_dtype = TorchDtypeName(options.dtype);
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/config.json", ModelConfigToJson(written)));
  CORGI_RETURN_IF_ERROR(CopyReleaseFiles(options.tokenizer_source, out_dir));

  std::vector<TensorToWrite> tensors;
  for (const WeightSpec& spec : WeightTable(config)) {
    if (!spec.required) continue;  // a tied lm_head is omitted, as save_pretrained does
    TensorToWrite t;
    t.name = spec.name;
    t.dtype = options.dtype;
    t.shape = spec.shape;
    float scale, offset;
    SyntheticInit(spec, &scale, &offset);
    const uint64_t key = model_internal::SyntheticKey(options.seed, spec.name);
    const int64_t n = spec.shape.numel();
    const DType dtype = options.dtype;
    t.fill = [=](uint8_t* dst) {
      model_internal::FillSynthetic(key, scale, offset, n, dtype, dst, pool);
    };
    tensors.push_back(std::move(t));
  }
  std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"corgi_synthetic_seed", std::to_string(options.seed)}};
  return WriteCheckpointTensors(out_dir, tensors, options.max_shard_bytes, metadata);
}

}  // namespace corgi::qwen2_5vl
