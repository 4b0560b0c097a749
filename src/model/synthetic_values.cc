#include "model/synthetic_values.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "corgi/core/check.h"
#include "corgi/core/half.h"
#include "corgi/core/hash.h"
#include "corgi/io/safetensors.h"

namespace corgi::model_internal {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t SyntheticKey(uint64_t seed, const std::string& name) {
  const Hash128 h = HashString(name);
  return SplitMix64(seed ^ h.low) ^ h.high;
}

float SyntheticUniform(uint64_t key, int64_t index) {
  const uint64_t bits = SplitMix64(key + static_cast<uint64_t>(index) * 0xd1b54a32d192ed03ull);
  return static_cast<float>(static_cast<double>(bits >> 40) * (2.0 / 16777216.0) - 1.0);
}

void FillSynthetic(uint64_t key, float scale, float offset, int64_t n, DType dtype, uint8_t* dst,
                   ThreadPool* pool) {
  CORGI_CHECK(dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16)
      << "unsupported dtype";
  auto fill_range = [&](size_t begin, size_t end, size_t) {
    for (size_t i = begin; i < end; ++i) {
      const float v = offset + scale * SyntheticUniform(key, static_cast<int64_t>(i));
      if (dtype == DType::kF32) {
        std::memcpy(dst + 4 * i, &v, 4);
      } else {
        const uint16_t h = dtype == DType::kBF16 ? F32ToBf16(v) : F32ToF16(v);
        std::memcpy(dst + 2 * i, &h, 2);
      }
    }
  };
  if (pool != nullptr && n > (1 << 16)) {
    pool->ParallelFor(static_cast<size_t>(n), fill_range);
  } else {
    fill_range(0, static_cast<size_t>(n), 0);
  }
}

bool IsFinalNorm(const WeightSpec& spec) {
  // The decoder's only norm outside its layers ("model.language_model.norm.weight").
  return spec.part == WeightPart::kTextDecoder && spec.init == WeightInit::kNormWeight &&
         spec.name.find("layers.") == std::string::npos && spec.name.ends_with("norm.weight");
}

void SyntheticInit(const WeightSpec& spec, float* scale, float* offset) {
  const float kSqrt3 = 1.7320508f;
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
    case WeightInit::kNormBias:
      *scale = kSqrt3 * 0.02f;
      break;
    case WeightInit::kEmbedding:
      *scale = kSqrt3 * 0.02f;
      break;
    case WeightInit::kPositionTable:
      *scale = kSqrt3 * 0.5f;
      break;
  }
}

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

Status PrepareSyntheticDir(const SyntheticOptions& options, const std::string& out_dir) {
  if (options.dtype != DType::kF32 && options.dtype != DType::kBF16 &&
      options.dtype != DType::kF16) {
    return InvalidArgumentError(std::string("unsupported dtype ") + DTypeName(options.dtype) +
                                " (F32, BF16, F16)");
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create '" + out_dir + "': " + ec.message());
  return Status::Ok();
}

Status WriteSyntheticTensors(std::span<const WeightSpec> table, const SyntheticOptions& options,
                             const std::string& out_dir, ThreadPool* pool) {
  std::vector<TensorToWrite> tensors;
  for (const WeightSpec& spec : table) {
    if (!spec.required) continue;
    TensorToWrite t;
    t.name = spec.name;
    t.dtype = options.dtype;
    t.shape = spec.shape;
    float scale, offset;
    SyntheticInit(spec, &scale, &offset);
    if (options.logit_std > 0 && IsFinalNorm(spec)) {
      // logit_v = Σ_d w_d·h_d·E[v, d] with h of unit RMS and E of std 0.02 (kEmbedding's
      // uniform scale √3·0.02): std ≈ w·0.02·√D. Keep the ±10 % spread of other norm weights.
      offset = options.logit_std / (0.02f * std::sqrt(static_cast<float>(spec.shape[0])));
      scale *= offset;
    }
    const uint64_t key = SyntheticKey(options.seed, spec.name);
    const int64_t n = spec.shape.numel();
    const DType dtype = options.dtype;
    t.fill = [=](uint8_t* dst) { FillSynthetic(key, scale, offset, n, dtype, dst, pool); };
    tensors.push_back(std::move(t));
  }
  std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"corgi_synthetic_seed", std::to_string(options.seed)}};
  return WriteCheckpointTensors(out_dir, tensors, options.max_shard_bytes, metadata);
}

}  // namespace corgi::model_internal
