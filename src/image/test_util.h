// Test helpers shared by the image tests: fixture paths, file reading, the checksum the
// reference script writes, and the reference manifest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "corgi/image/image.h"

namespace corgi::image_test {

std::string FixturePath(const std::string& relative);  // tests/data/preprocess/...
std::string SharedPath(const std::string& relative);   // ../shared/data/...
std::string ReadBytes(const std::string& path);        // empty (and a test failure) on error
const nlohmann::json& Reference();                     // tests/data/preprocess/reference.json

struct Checksum {
  uint64_t s1 = 0;
  uint64_t s2 = 0;
  bool operator==(const Checksum& o) const { return s1 == o.s1 && s2 == o.s2; }
};
// s1 = sum of bytes; s2 = sum of ((i % 65521) + 1) * byte[i]; both mod 2^64.
Checksum ChecksumOf(const uint8_t* data, size_t size);
inline Checksum ChecksumOf(const RgbImage& img) {
  return ChecksumOf(img.pixels.data(), img.pixels.size());
}
Checksum ChecksumFromJson(const nlohmann::json& j);

}  // namespace corgi::image_test
