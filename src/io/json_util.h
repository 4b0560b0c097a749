// Private helpers of the io layer: strict JSON parsing and typed field access that
// names the full key path in every error ("config.json: text_config.head_dim must be
// a positive integer, got -1"). Not part of the public API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "corgi/core/status.h"

namespace corgi::io_internal {

// Parses `text` into `out` without letting an exception escape. A syntax error
// (including ill-formed UTF-8, which nlohmann rejects inside strings) is DataLoss
// with nlohmann's position and reason. With `reject_duplicate_keys`, an object that
// repeats a key is DataLoss naming the key (nlohmann would silently keep the last).
// `what` prefixes messages ("header", "config.json").
Status ParseJson(std::string_view text, std::string_view what, bool reject_duplicate_keys,
                 nlohmann::json* out);

// "string \"abc\"", "number 3.5", "array", ... for error messages; long values cut.
std::string DescribeJson(const nlohmann::json& value);

// A JSON object being read, with the file name and key path used in messages.
// Getters leave *out unchanged when an optional key is absent or null.
// Type errors are InvalidArgument; a missing required key is InvalidArgument too.
class JsonScope {
 public:
  JsonScope(const nlohmann::json* object, std::string file, std::string prefix)
      : object_(object), file_(std::move(file)), prefix_(std::move(prefix)) {}

  // True when `key` is present and not null.
  bool Has(const char* key) const;
  // "text_config.head_dim"
  std::string Path(const char* key) const { return prefix_ + key; }
  const std::string& file() const { return file_; }
  const nlohmann::json& raw() const { return *object_; }
  // InvalidArgument "file: message".
  Status Error(const std::string& message) const;

  Status Int(const char* key, bool required, int64_t* out) const;
  // Int that must be > 0.
  Status PositiveInt(const char* key, bool required, int64_t* out) const;
  Status Number(const char* key, bool required, double* out) const;
  Status Bool(const char* key, bool required, bool* out) const;
  Status String(const char* key, bool required, std::string* out) const;
  Status IntArray(const char* key, bool required, std::vector<int64_t>* out) const;
  Status NumberArray(const char* key, bool required, std::vector<double>* out) const;
  // A nested object; *child reads it with prefix "key.". NotFound-style error if
  // required and absent, InvalidArgument if not an object. *found reports presence.
  Status Object(const char* key, bool required, JsonScope* child, bool* found) const;

 private:
  // nullptr when absent or null; error if required and absent.
  Status Lookup(const char* key, bool required, const nlohmann::json** value) const;

  const nlohmann::json* object_;
  std::string file_;
  std::string prefix_;
};

}  // namespace corgi::io_internal
