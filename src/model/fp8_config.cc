#include "corgi/model/fp8_config.h"

#include <exception>

#include "io/json_util.h"

namespace corgi {

namespace {

using io_internal::DescribeJson;
using io_internal::JsonScope;

Status Unsupported(const JsonScope& q, const char* key, const std::string& value, const char* supported) {
  return UnimplementedError(q.file() + ": " + q.Path(key) + " \"" + value + "\" is not supported (only " +
                            supported + ")");
}

// weight_block_size: absent -> [128, 128] (transformers' default), null -> per tensor.
Status ParseBlockSize(const JsonScope& q, Fp8Config* c) {
  const nlohmann::json& raw = q.raw();
  auto it = raw.find("weight_block_size");
  if (it == raw.end()) return Status::Ok();
  if (it->is_null()) {
    c->block_n = c->block_k = 0;
    return Status::Ok();
  }
  std::vector<int64_t> block;
  CORGI_RETURN_IF_ERROR(q.IntArray("weight_block_size", true, &block));
  if (block.size() != 2 || block[0] <= 0 || block[1] <= 0) {
    return q.Error(q.Path("weight_block_size") + " must be two positive integers [block_n, block_k], got " +
                   DescribeJson(*it));
  }
  c->block_n = block[0];
  c->block_k = block[1];
  return Status::Ok();
}

Status ParseModuleList(const JsonScope& q, std::vector<std::string>* out) {
  const nlohmann::json& raw = q.raw();
  auto it = raw.find("modules_to_not_convert");
  if (it == raw.end() || it->is_null()) return Status::Ok();
  const std::string path = q.Path("modules_to_not_convert");
  if (!it->is_array()) return q.Error(path + " must be an array of strings, got " + DescribeJson(*it));
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& entry = (*it)[i];
    if (!entry.is_string()) {
      return q.Error(path + "[" + std::to_string(i) + "] must be a string, got " + DescribeJson(entry));
    }
    out->push_back(entry.get<std::string>());
  }
  return Status::Ok();
}

StatusOr<Fp8Config> ParseScope(const JsonScope& q) {
  std::string method;
  CORGI_RETURN_IF_ERROR(q.String("quant_method", true, &method));
  if (method != "fp8") return q.Error(q.Path("quant_method") + " must be \"fp8\", got \"" + method + "\"");
  Fp8Config c;
  std::string fmt = "e4m3", scale_fmt;
  CORGI_RETURN_IF_ERROR(q.String("fmt", false, &fmt));
  if (fmt != "e4m3") return Unsupported(q, "fmt", fmt, "\"e4m3\", float8_e4m3fn weights");
  CORGI_RETURN_IF_ERROR(q.String("activation_scheme", false, &c.activation_scheme));
  if (c.activation_scheme != "dynamic" && c.activation_scheme != "static") {
    return Unsupported(q, "activation_scheme", c.activation_scheme, "\"dynamic\" or \"static\"");
  }
  CORGI_RETURN_IF_ERROR(q.String("scale_fmt", false, &scale_fmt));
  if (!scale_fmt.empty() && scale_fmt != "ue8m0") {
    return Unsupported(q, "scale_fmt", scale_fmt, "\"ue8m0\", or no scale_fmt");
  }
  CORGI_RETURN_IF_ERROR(ParseBlockSize(q, &c));
  CORGI_RETURN_IF_ERROR(ParseModuleList(q, &c.modules_to_not_convert));
  return c;
}

}  // namespace

StatusOr<Fp8Config> ParseFp8QuantizationConfig(const nlohmann::json& quantization_config,
                                               const std::string& file) {
  if (!quantization_config.is_object()) {
    return InvalidArgumentError(file + ": quantization_config must be an object, got " +
                                DescribeJson(quantization_config));
  }
  try {
    return ParseScope(JsonScope(&quantization_config, file, "quantization_config."));
  } catch (const std::exception& e) {
    return InternalError(file + ": unexpected error: " + e.what());
  }
}

StatusOr<std::optional<Fp8Config>> ReadFp8Config(std::string_view config_json, const std::string& file) {
  nlohmann::json root;
  CORGI_RETURN_IF_ERROR(io_internal::ParseJson(config_json, file, /*reject_duplicate_keys=*/true, &root));
  if (!root.is_object()) return InvalidArgumentError(file + ": must be a JSON object");
  auto it = root.find("quantization_config");
  if (it == root.end() || it->is_null()) return std::optional<Fp8Config>();
  if (it->is_object()) {
    auto method = it->find("quant_method");
    if (method == it->end() || !method->is_string() || method->get<std::string>() != "fp8") {
      return std::optional<Fp8Config>();
    }
  }
  CORGI_ASSIGN_OR_RETURN(Fp8Config config, ParseFp8QuantizationConfig(*it, file));
  return std::optional<Fp8Config>(std::move(config));
}

}  // namespace corgi
