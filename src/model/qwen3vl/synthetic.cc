#include "corgi/model/qwen3vl/synthetic.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "corgi/core/half.h"
#include "corgi/core/hash.h"
#include "corgi/core/mapped_file.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t NameKey(uint64_t seed, const std::string& name) {
  Hash128 h = HashString(name);
  return SplitMix64(seed ^ h.low) ^ h.high;
}

// Uniform in [-1, 1) from a 64-bit key and an element index.
inline float UniformAt(uint64_t key, int64_t index) {
  uint64_t bits = SplitMix64(key + static_cast<uint64_t>(index) * 0xd1b54a32d192ed03ull);
  return static_cast<float>(static_cast<double>(bits >> 40) * (2.0 / 16777216.0) - 1.0);
}

// Scale (std) and offset of each init kind; uniform noise has std 1/sqrt(3), hence sqrt(3).
void InitParameters(const WeightSpec& spec, float* scale, float* offset) {
  const float kSqrt3 = 1.7320508f;
  *offset = 0.0f;
  switch (spec.init) {
    case WeightInit::kLinear: *scale = kSqrt3 / std::sqrt(static_cast<float>(spec.fan_in)); break;
    case WeightInit::kBias: *scale = kSqrt3 * 0.02f; break;
    case WeightInit::kNormWeight: *scale = kSqrt3 * 0.1f; *offset = 1.0f; break;
    case WeightInit::kNormBias: *scale = kSqrt3 * 0.02f; break;
    case WeightInit::kEmbedding: *scale = kSqrt3 * 0.02f; break;
    case WeightInit::kPositionTable: *scale = kSqrt3 * 0.5f; break;
  }
}

void FillTensor(uint64_t seed, const WeightSpec& spec, DType dtype, uint8_t* dst, ThreadPool* pool) {
  float scale, offset;
  InitParameters(spec, &scale, &offset);
  const uint64_t key = NameKey(seed, spec.name);
  const int64_t n = spec.shape.numel();
  auto fill_range = [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      float v = offset + scale * UniformAt(key, static_cast<int64_t>(i));
      switch (dtype) {
        case DType::kF32: std::memcpy(dst + 4 * i, &v, 4); break;
        case DType::kBF16: { uint16_t h = F32ToBf16(v); std::memcpy(dst + 2 * i, &h, 2); break; }
        case DType::kF16: { uint16_t h = F32ToF16(v); std::memcpy(dst + 2 * i, &h, 2); break; }
        default: break;
      }
    }
  };
  if (pool != nullptr && n > (1 << 16)) {
    pool->ParallelFor(static_cast<size_t>(n), fill_range);
  } else {
    fill_range(0, static_cast<size_t>(n), 0);
  }
}

const char* TorchDtypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "float32";
    case DType::kF16: return "float16";
    default: return "bfloat16";
  }
}

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
  return offset + scale * UniformAt(NameKey(seed, name), index);
}

Status WriteSyntheticCheckpoint(const ModelConfig& config, const SyntheticOptions& options,
                                const std::string& out_dir, ThreadPool* pool) {
  if (options.dtype != DType::kF32 && options.dtype != DType::kBF16 && options.dtype != DType::kF16) {
    return InvalidArgumentError(std::string("unsupported dtype ") + DTypeName(options.dtype));
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create '" + out_dir + "': " + ec.message());

  ModelConfig written = config;
  written.torch_dtype = TorchDtypeName(options.dtype);
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/config.json", ModelConfigToJson(written)));
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/preprocessor_config.json",
                                            PreprocessorConfigToJson(DefaultPreprocessorConfig())));
  CORGI_RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/generation_config.json",
                                            GenerationConfigToJson(DefaultGenerationConfig())));
  CORGI_RETURN_IF_ERROR(WriteTokenizerFiles(options.tokenizer_source, out_dir));

  std::vector<TensorToWrite> tensors;
  for (const WeightSpec& spec : WeightTable(config)) {
    if (!spec.required) continue;  // tied lm_head is omitted, as save_pretrained does
    TensorToWrite t;
    t.name = spec.name;
    t.dtype = options.dtype;
    t.shape = spec.shape;
    const uint64_t seed = options.seed;
    const DType dtype = options.dtype;
    t.fill = [seed, spec, dtype, pool](uint8_t* dst) { FillTensor(seed, spec, dtype, dst, pool); };
    tensors.push_back(std::move(t));
  }
  std::map<std::string, std::string> metadata = {{"format", "pt"},
                                                 {"corgi_synthetic_seed", std::to_string(options.seed)}};
  return WriteCheckpointTensors(out_dir, tensors, options.max_shard_bytes, metadata);
}

}  // namespace corgi::qwen3vl
