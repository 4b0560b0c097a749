// A .safetensors file: 8-byte header length, JSON header, data. Whatever Parse accepts
// must satisfy what the loader relies on: every tensor inside the file, sizes equal to
// shape x dtype, non-negative dims, no two tensors overlapping.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "corgi/core/check.h"
#include "corgi/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<corgi::TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
  if (!corgi::SafetensorsFile::Parse(data, size, &tensors, &metadata).ok()) return 0;
  std::vector<const corgi::TensorInfo*> by_offset;
  for (const corgi::TensorInfo& t : tensors) {
    CORGI_CHECK(t.data_offset <= size && t.bytes <= size - t.data_offset) << t.name;
    CORGI_CHECK(t.bytes == static_cast<size_t>(t.shape.numel()) * corgi::DTypeSize(t.dtype))
        << t.name;
    for (int d = 0; d < t.shape.rank(); ++d) CORGI_CHECK(t.shape[d] >= 0) << t.name;
    if (t.bytes > 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const corgi::TensorInfo* a, const corgi::TensorInfo* b) {
              return a->data_offset < b->data_offset;
            });
  for (size_t i = 1; i < by_offset.size(); ++i)
    CORGI_CHECK(by_offset[i]->data_offset >=
                by_offset[i - 1]->data_offset + by_offset[i - 1]->bytes)
        << by_offset[i]->name << " overlaps " << by_offset[i - 1]->name;
  return 0;
}
