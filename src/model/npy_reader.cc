#include "model/npy_reader.h"

#include <cstring>

#include "corgi/core/mapped_file.h"

namespace corgi {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

void SkipSpaces(std::string_view s, size_t* at) {
  while (*at < s.size() && (s[*at] == ' ' || s[*at] == '\t')) ++*at;
}

// Returns the position just after "'key':" (or "\"key\":") in the header dict.
StatusOr<size_t> FindKey(std::string_view header, std::string_view key) {
  for (char quote : {'\'', '"'}) {
    std::string pattern = std::string(1, quote) + std::string(key) + std::string(1, quote);
    size_t at = header.find(pattern);
    if (at == std::string_view::npos) continue;
    at += pattern.size();
    SkipSpaces(header, &at);
    if (at >= header.size() || header[at] != ':') break;
    ++at;
    SkipSpaces(header, &at);
    return at;
  }
  return DataLossError("npy header has no '" + std::string(key) + "' entry");
}

StatusOr<std::string> ParseDescr(std::string_view header) {
  CORGI_ASSIGN_OR_RETURN(size_t at, FindKey(header, "descr"));
  if (at >= header.size() || (header[at] != '\'' && header[at] != '"')) {
    return DataLossError("npy 'descr' is not a string (structured dtypes are not supported)");
  }
  const char quote = header[at];
  size_t end = header.find(quote, at + 1);
  if (end == std::string_view::npos) return DataLossError("npy 'descr' string is not terminated");
  return std::string(header.substr(at + 1, end - at - 1));
}

StatusOr<bool> ParseFortranOrder(std::string_view header) {
  CORGI_ASSIGN_OR_RETURN(size_t at, FindKey(header, "fortran_order"));
  if (header.substr(at, 5) == "False") return false;
  if (header.substr(at, 4) == "True") return true;
  return DataLossError("npy 'fortran_order' is neither True nor False");
}

StatusOr<std::vector<int64_t>> ParseShape(std::string_view header) {
  CORGI_ASSIGN_OR_RETURN(size_t at, FindKey(header, "shape"));
  if (at >= header.size() || header[at] != '(') return DataLossError("npy 'shape' is not a tuple");
  ++at;
  std::vector<int64_t> shape;
  while (true) {
    SkipSpaces(header, &at);
    if (at >= header.size()) return DataLossError("npy 'shape' tuple is not terminated");
    if (header[at] == ')') break;
    if (header[at] < '0' || header[at] > '9')
      return DataLossError("npy 'shape' holds a non-integer");
    int64_t v = 0;
    while (at < header.size() && header[at] >= '0' && header[at] <= '9') {
      v = v * 10 + (header[at++] - '0');
      if (v > (int64_t{1} << 40)) return DataLossError("npy dimension is implausibly large");
    }
    shape.push_back(v);
    SkipSpaces(header, &at);
    if (at < header.size() && header[at] == ',') ++at;
    if (shape.size() > 16) return DataLossError("npy shape has more than 16 dimensions");
  }
  return shape;
}

uint32_t ReadLittleEndian(std::string_view bytes, size_t at, int width) {
  uint32_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

}  // namespace

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

StatusOr<NpyArray> ParseNpy(std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, kMagic.size()) != kMagic)
    return DataLossError("not a .npy file (bad magic)");
  const int major = static_cast<uint8_t>(bytes[6]);
  if (major != 1 && major != 2)
    return UnimplementedError("npy format version " + std::to_string(major) + " (1 or 2 expected)");
  const int len_width = major == 1 ? 2 : 4;
  if (bytes.size() < 8u + len_width) return DataLossError("npy header is truncated");
  const size_t header_len = ReadLittleEndian(bytes, 8, len_width);
  const size_t data_at = 8 + len_width + header_len;
  if (data_at > bytes.size()) return DataLossError("npy header is truncated");
  const std::string_view header = bytes.substr(8 + len_width, header_len);

  NpyArray out;
  CORGI_ASSIGN_OR_RETURN(std::string descr, ParseDescr(header));
  size_t item = 0;
  if (descr == "<f4") {
    out.dtype = NpyDType::kF32;
    item = 4;
  } else if (descr == "<i8") {
    out.dtype = NpyDType::kI64;
    item = 8;
  } else if (descr == "<i4") {
    out.dtype = NpyDType::kI32;
    item = 4;
  } else {
    return UnimplementedError("npy dtype '" + descr + "' (supported: <f4, <i8, <i4)");
  }
  CORGI_ASSIGN_OR_RETURN(bool fortran, ParseFortranOrder(header));
  if (fortran) return UnimplementedError("npy array is in Fortran order (C order expected)");
  CORGI_ASSIGN_OR_RETURN(out.shape, ParseShape(header));
  int64_t n = 1;
  for (int64_t d : out.shape) {
    if (__builtin_mul_overflow(n, d, &n)) return DataLossError("npy shape overflows 64 bits");
  }
  const size_t available = bytes.size() - data_at;
  if (static_cast<uint64_t>(n) > available / item || static_cast<size_t>(n) * item != available) {
    return DataLossError("npy data holds " + std::to_string(available) +
                         " bytes but the shape needs " + std::to_string(n) + " x " +
                         std::to_string(item));
  }
  const char* data = bytes.data() + data_at;
  if (out.dtype == NpyDType::kF32) {
    out.f32.resize(n);
    std::memcpy(out.f32.data(), data, n * item);  // host is little-endian (x86-64/arm64)
  } else if (out.dtype == NpyDType::kI64) {
    out.ints.resize(n);
    std::memcpy(out.ints.data(), data, n * item);
  } else {
    std::vector<int32_t> narrow(n);
    std::memcpy(narrow.data(), data, n * item);
    out.ints.assign(narrow.begin(), narrow.end());
  }
  return out;
}

StatusOr<NpyArray> ReadNpyFile(const std::string& path) {
  StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  StatusOr<NpyArray> a = ParseNpy(*bytes);
  if (!a.ok()) return a.status().WithContext(path);
  return a;
}

}  // namespace corgi
