#include "apps/cli/npy.h"

#include <cstring>

#include "corgi/core/mapped_file.h"

namespace corgi::cli {
namespace {

Status WriteNpy(const std::string& path, const char* descr, const void* data, size_t elem_size,
                const std::vector<int64_t>& shape) {
  int64_t count = 1;
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    count *= shape[i];
    dims += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
  }
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(len >> 8));
  out += header;
  out.append(static_cast<const char*>(data), static_cast<size_t>(count) * elem_size);
  return WriteFileAtomically(path, out);
}

}  // namespace

Status WriteNpyF32(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  return WriteNpy(path, "<f4", data, 4, shape);
}

Status WriteNpyI64(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape) {
  return WriteNpy(path, "<i8", data, 8, shape);
}

}  // namespace corgi::cli
