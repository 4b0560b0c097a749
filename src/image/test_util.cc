#include "image/test_util.h"

#include <gtest/gtest.h>

#include "corgi/core/mapped_file.h"

namespace corgi::image_test {

std::string FixturePath(const std::string& relative) {
  return std::string(CORGI_TEST_DATA) + "/preprocess/" + relative;
}

std::string SharedPath(const std::string& relative) {
  return std::string(CORGI_SHARED_DATA) + "/" + relative;
}

std::string ReadBytes(const std::string& path) {
  StatusOr<std::string> s = ReadFileToString(path);
  if (!s.ok()) {
    ADD_FAILURE() << s.status().ToString();
    return std::string();
  }
  return *s;
}

const nlohmann::json& Reference() {
  static const nlohmann::json* ref = [] {
    std::string text = ReadBytes(FixturePath("reference.json"));
    return new nlohmann::json(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
  }();
  return *ref;
}

Checksum ChecksumOf(const uint8_t* data, size_t size) {
  Checksum c;
  for (size_t i = 0; i < size; ++i) {
    c.s1 += data[i];
    c.s2 += static_cast<uint64_t>(i % 65521 + 1) * data[i];
  }
  return c;
}

Checksum ChecksumFromJson(const nlohmann::json& j) {
  return Checksum{j.at("s1").get<uint64_t>(), j.at("s2").get<uint64_t>()};
}

}  // namespace corgi::image_test
