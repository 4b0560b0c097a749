// Reading and validating one .safetensors file. Every number in the header is
// checked before it is used to compute an address (see safetensors.h).
#include "corgi/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "corgi/core/json_scan.h"
#include "io/json_util.h"

namespace corgi {
namespace {

using nlohmann::json;

// The reference implementation (huggingface/safetensors) caps headers at 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests 3 deep ({name: {"shape": [..]}}); deeper input is hostile and
// would only cost memory in the JSON parser.
constexpr int kMaxHeaderNesting = 8;

// Safetensors dtypes that are valid in the format but that corgi does not compute with.
constexpr std::string_view kKnownUnsupportedDTypes[] = {
    "BOOL", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F64",
    "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64", "E8M0"};

uint64_t LoadLittleEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Rejects NUL bytes (nlohmann treats NUL as end of input and would ignore the rest of
// the header) and nesting deeper than kMaxHeaderNesting, before the parser sees it.
Status CheckHeaderText(std::string_view header) {
  JsonDepthScanner scanner;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == '\0') {
      return DataLossError("header contains a NUL byte at offset " + std::to_string(i));
    }
    if (scanner.Feed(header[i]) == JsonDepthScanner::Event::kOpen &&
        scanner.depth() > kMaxHeaderNesting) {
      return DataLossError("header JSON nests deeper than " + std::to_string(kMaxHeaderNesting) +
                           " levels at offset " + std::to_string(i));
    }
  }
  return Status::Ok();
}

Status ParseDTypeField(const std::string& name, const json& entry, DType* dtype) {
  auto it = entry.find("dtype");
  if (it == entry.end() || !it->is_string()) {
    return DataLossError(
        "tensor '" + name + "': \"dtype\" must be a string, got " +
        (it == entry.end() ? std::string("nothing") : io_internal::DescribeJson(*it)));
  }
  const std::string& text = it->get_ref<const std::string&>();
  std::optional<DType> parsed = ParseDType(text);
  // Floats, plus the storage of quantized checkpoints: U8 (corgi's packed Q8/Q4) and
  // F8_E4M3 (FP8 releases); the model layer decides where each is acceptable.
  if (parsed && (*parsed == DType::kF32 || *parsed == DType::kF16 || *parsed == DType::kBF16 ||
                 *parsed == DType::kU8 || *parsed == DType::kF8E4M3)) {
    *dtype = *parsed;
    return Status::Ok();
  }
  for (std::string_view known : kKnownUnsupportedDTypes) {
    if (text == known) {
      return UnimplementedError("tensor '" + name + "' has dtype " + text +
                                "; corgi reads only F32, F16, BF16, U8 and F8_E4M3 tensors");
    }
  }
  return DataLossError("tensor '" + name + "' has unknown dtype " + io_internal::DescribeJson(*it));
}

// A non-negative integer that fits in int64 (so it can become a Shape dimension).
bool ReadCount(const json& value, uint64_t* out) {
  if (!value.is_number_unsigned()) return false;
  uint64_t v = value.get<uint64_t>();
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = v;
  return true;
}

// Fills info->shape and returns the element count via checked multiplication.
Status ParseShapeField(const std::string& name, const json& entry, TensorInfo* info,
                       uint64_t* numel) {
  auto it = entry.find("shape");
  if (it == entry.end() || !it->is_array()) {
    return DataLossError("tensor '" + name + "': \"shape\" must be an array of integers");
  }
  if (it->size() > static_cast<size_t>(kMaxDims)) {
    return UnimplementedError("tensor '" + name + "' has rank " + std::to_string(it->size()) +
                              "; at most " + std::to_string(kMaxDims) +
                              " dimensions are supported");
  }
  uint64_t count = 1;
  for (size_t d = 0; d < it->size(); ++d) {
    uint64_t dim = 0;
    if (!ReadCount((*it)[d], &dim)) {
      return DataLossError("tensor '" + name + "': shape[" + std::to_string(d) +
                           "] must be a non-negative integer, got " +
                           io_internal::DescribeJson((*it)[d]));
    }
    if (__builtin_mul_overflow(count, dim, &count) ||
        count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return DataLossError("tensor '" + name + "': shape " + it->dump() +
                           " has more elements than fit in 63 bits");
    }
    info->shape.push_back(static_cast<int64_t>(dim));
  }
  *numel = count;
  return Status::Ok();
}

Status ParseOffsetsField(const std::string& name, const json& entry, uint64_t data_size,
                         uint64_t* begin, uint64_t* end) {
  auto it = entry.find("data_offsets");
  if (it == entry.end() || !it->is_array() || it->size() != 2 || !ReadCount((*it)[0], begin) ||
      !ReadCount((*it)[1], end)) {
    return DataLossError("tensor '" + name +
                         "': \"data_offsets\" must be [begin, end] with non-negative integers");
  }
  if (*begin > *end) {
    return DataLossError("tensor '" + name + "': data_offsets begin " + std::to_string(*begin) +
                         " > end " + std::to_string(*end));
  }
  if (*end > data_size) {
    return DataLossError("tensor '" + name + "': data_offsets end " + std::to_string(*end) +
                         " is past the end of the data section (" + std::to_string(data_size) +
                         " bytes; file truncated?)");
  }
  return Status::Ok();
}

// Validates one header entry; `data_begin` is the absolute offset of the data section.
Status ParseEntry(const std::string& name, const json& entry, uint64_t data_begin,
                  uint64_t data_size, TensorInfo* info) {
  if (name.empty()) return DataLossError("a tensor has an empty name");
  if (!entry.is_object()) {
    return DataLossError("tensor '" + name + "' must be an object, got " +
                         io_internal::DescribeJson(entry));
  }
  info->name = name;
  CORGI_RETURN_IF_ERROR(ParseDTypeField(name, entry, &info->dtype));
  uint64_t numel = 0;
  CORGI_RETURN_IF_ERROR(ParseShapeField(name, entry, info, &numel));
  uint64_t begin = 0, end = 0;
  CORGI_RETURN_IF_ERROR(ParseOffsetsField(name, entry, data_size, &begin, &end));
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(DTypeSize(info->dtype)), &bytes)) {
    return DataLossError("tensor '" + name + "': shape " + info->shape.ToString() +
                         " overflows a 64-bit byte count");
  }
  if (bytes != end - begin) {
    return DataLossError("tensor '" + name + "': shape " + info->shape.ToString() + " x " +
                         DTypeName(info->dtype) + " needs " + std::to_string(bytes) +
                         " bytes but data_offsets span " + std::to_string(end - begin));
  }
  info->data_offset = static_cast<size_t>(data_begin + begin);
  info->bytes = static_cast<size_t>(bytes);
  return Status::Ok();
}

Status ParseMetadata(const json& value, std::map<std::string, std::string>* metadata) {
  if (!value.is_object()) {
    return DataLossError("__metadata__ must be an object of strings, got " +
                         io_internal::DescribeJson(value));
  }
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) {
      return DataLossError("__metadata__[\"" + key + "\"] must be a string, got " +
                           io_internal::DescribeJson(v));
    }
    (*metadata)[key] = v.get<std::string>();
  }
  return Status::Ok();
}

// Tensors may leave gaps but must not share bytes. Empty tensors occupy nothing.
Status CheckNoOverlap(const std::vector<TensorInfo>& tensors) {
  std::vector<const TensorInfo*> order;
  for (const TensorInfo& t : tensors)
    if (t.bytes > 0) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->data_offset < b->data_offset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorInfo& prev = *order[i - 1];
    if (order[i]->data_offset < prev.data_offset + prev.bytes) {
      return DataLossError("tensors '" + prev.name + "' and '" + order[i]->name +
                           "' overlap in the data section");
    }
  }
  return Status::Ok();
}

}  // namespace

Status SafetensorsFile::Parse(const uint8_t* bytes, size_t size, std::vector<TensorInfo>* tensors,
                              std::map<std::string, std::string>* metadata) {
  tensors->clear();
  metadata->clear();
  if (size < 8) {
    return DataLossError("file is " + std::to_string(size) +
                         " bytes, too short for the 8-byte header length");
  }
  const uint64_t header_bytes = LoadLittleEndian64(bytes);
  if (header_bytes == 0) return DataLossError("header length is 0");
  if (header_bytes > kMaxHeaderBytes) {
    return DataLossError("header length " + std::to_string(header_bytes) + " exceeds the " +
                         std::to_string(kMaxHeaderBytes) + "-byte limit");
  }
  if (header_bytes > size - 8) {
    return DataLossError("header length " + std::to_string(header_bytes) +
                         " runs past the end of the file (" + std::to_string(size) + " bytes)");
  }
  std::string_view header(reinterpret_cast<const char*>(bytes + 8), header_bytes);
  CORGI_RETURN_IF_ERROR(CheckHeaderText(header));
  json root;
  CORGI_RETURN_IF_ERROR(
      io_internal::ParseJson(header, "header", /*reject_duplicate_keys=*/true, &root));
  if (!root.is_object()) {
    return DataLossError("header must be a JSON object, got " + io_internal::DescribeJson(root));
  }
  const uint64_t data_begin = 8 + header_bytes;
  const uint64_t data_size = size - data_begin;
  std::vector<TensorInfo> parsed;
  parsed.reserve(root.size());
  std::map<std::string, std::string> parsed_metadata;
  // nlohmann objects iterate in key order, so `parsed` comes out sorted by name.
  for (const auto& [name, entry] : root.items()) {
    if (name == "__metadata__") {
      CORGI_RETURN_IF_ERROR(ParseMetadata(entry, &parsed_metadata));
      continue;
    }
    TensorInfo info;
    CORGI_RETURN_IF_ERROR(ParseEntry(name, entry, data_begin, data_size, &info));
    parsed.push_back(std::move(info));
  }
  CORGI_RETURN_IF_ERROR(CheckNoOverlap(parsed));
  *tensors = std::move(parsed);
  *metadata = std::move(parsed_metadata);
  return Status::Ok();
}

StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(path));
  SafetensorsFile file;
  Status status = Parse(mapped.data(), mapped.size(), &file.tensors_, &file.metadata_);
  if (!status.ok()) return status.WithContext(path);
  file.file_ = std::move(mapped);
  return file;
}

}  // namespace corgi
