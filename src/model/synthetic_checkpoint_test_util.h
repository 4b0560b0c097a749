// Test support: writes synthetic checkpoints (random weights, the real tokenizer from
// shared/data) of any registered family for engine, pipeline, service and server tests,
// and loads them through the registry as users do. Only for test targets, which define
// CORGI_SHARED_DATA.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "corgi/model/registry.h"

namespace corgi::test_models {

// The default family's model_type (Qwen3-VL), for tests that run on one family.
inline std::string DefaultFamily() { return ModelFamilies().front().model_type; }

// Every registered family's model_type, in registration order: the values of
// INSTANTIATE_TEST_SUITE_P for tests whose guarantees must hold for every family.
inline std::vector<std::string> FamilyTypes() {
  std::vector<std::string> types;
  for (const ModelFamily& family : ModelFamilies()) types.push_back(family.model_type);
  return types;
}

// Parameterized test names that end in the family: "Families/EngineCacheTest.X/qwen2_5_vl".
struct FamilyName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return info.param;
  }
};

// make-model's options with the real tokenizer from shared/data.
inline SyntheticOptions Options(uint64_t seed, DType dtype) {
  SyntheticOptions o;
  o.seed = seed;
  o.dtype = dtype;
  o.tokenizer_source = std::string(CORGI_SHARED_DATA) + "/tokenizer";
  return o;
}

// Writes `model_type`'s preset into `dir`.
inline Status WriteCheckpoint(const std::string& dir, uint64_t seed, DType dtype, const std::string& model_type,
                              const std::string& preset) {
  CORGI_ASSIGN_OR_RETURN(const ModelFamily* family, FindModelFamily(model_type));
  return family->write_synthetic(preset, Options(seed, dtype), dir, nullptr);
}

// The "tiny" preset (unit-test size) of `model_type` (default: the default family).
inline Status WriteTinyCheckpoint(const std::string& dir, uint64_t seed, DType dtype,
                                  const std::string& model_type = DefaultFamily()) {
  return WriteCheckpoint(dir, seed, dtype, model_type, "tiny");
}

}  // namespace corgi::test_models
