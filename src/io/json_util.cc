#include "io/json_util.h"

#include <limits>
#include <set>
#include <utility>

#include "corgi/core/json_scan.h"

namespace corgi::io_internal {

using nlohmann::json;

Status ParseJson(std::string_view text, std::string_view what, bool reject_duplicate_keys,
                 json* out) {
  // One set of seen keys per open object; the first repeated key is remembered.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  json::parser_callback_t callback = nullptr;
  if (reject_duplicate_keys) {
    callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
      switch (event) {
        case json::parse_event_t::object_start:
          open_objects.emplace_back();
          break;
        case json::parse_event_t::object_end:
          if (!open_objects.empty()) open_objects.pop_back();
          break;
        case json::parse_event_t::key:
          if (!open_objects.empty() && parsed.is_string() &&
              !open_objects.back().insert(parsed.get_ref<const std::string&>()).second &&
              duplicate.empty()) {
            duplicate = parsed.get_ref<const std::string&>();
          }
          break;
        default:
          break;
      }
      return true;
    };
  }
  // Deep nesting first: dump(), copies and comparisons of the parsed value recurse.
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(text, what));
  try {
    *out = json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    return DataLossError(std::string(what) + " is not valid JSON: " + e.what());
  } catch (const std::exception& e) {
    // bad_alloc and friends: keep them from crossing the library boundary.
    return ResourceExhaustedError(std::string(what) + ": cannot parse JSON: " + e.what());
  }
  if (!duplicate.empty()) {
    return DataLossError(std::string(what) + " repeats the key \"" + duplicate + "\"");
  }
  return Status::Ok();
}

std::string DescribeJson(const json& value) {
  std::string text;
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::boolean:
      return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case json::value_t::string:
      text = "string ";
      break;
    case json::value_t::number_float:
      text = "number ";
      break;
    default:
      text = "integer ";
      break;
  }
  std::string dumped = value.dump(-1, ' ', /*ensure_ascii=*/true);
  if (dumped.size() > 40) dumped = dumped.substr(0, 40) + "...";
  return text + dumped;
}

bool JsonScope::Has(const char* key) const {
  auto it = object_->find(key);
  return it != object_->end() && !it->is_null();
}

Status JsonScope::Error(const std::string& message) const {
  return InvalidArgumentError(file_ + ": " + message);
}

Status JsonScope::Lookup(const char* key, bool required, const json** value) const {
  *value = nullptr;
  auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) {
    if (required) return Error("missing required key " + Path(key));
    return Status::Ok();
  }
  *value = &*it;
  return Status::Ok();
}

Status JsonScope::Int(const char* key, bool required, int64_t* out) const {
  const json* v = nullptr;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Error(Path(key) + " is too large: " + std::to_string(u));
    }
    *out = static_cast<int64_t>(u);
    return Status::Ok();
  }
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return Status::Ok();
  }
  return Error(Path(key) + " must be an integer, got " + DescribeJson(*v));
}

Status JsonScope::PositiveInt(const char* key, bool required, int64_t* out) const {
  int64_t value = *out;
  CORGI_RETURN_IF_ERROR(Int(key, required, &value));
  if (Has(key) && value <= 0) {
    return Error(Path(key) + " must be positive, got " + std::to_string(value));
  }
  *out = value;
  return Status::Ok();
}

Status JsonScope::Number(const char* key, bool required, double* out) const {
  const json* v = nullptr;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return Error(Path(key) + " must be a number, got " + DescribeJson(*v));
  *out = v->get<double>();
  return Status::Ok();
}

Status JsonScope::Bool(const char* key, bool required, bool* out) const {
  const json* v = nullptr;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return Error(Path(key) + " must be true or false, got " + DescribeJson(*v));
  *out = v->get<bool>();
  return Status::Ok();
}

Status JsonScope::String(const char* key, bool required, std::string* out) const {
  const json* v = nullptr;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Error(Path(key) + " must be a string, got " + DescribeJson(*v));
  *out = v->get<std::string>();
  return Status::Ok();
}

Status JsonScope::IntArray(const char* key, bool required, std::vector<int64_t>* out) const {
  const json* v = nullptr;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (!v->is_array())
    return Error(Path(key) + " must be an array of integers, got " + DescribeJson(*v));
  std::vector<int64_t> values;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    bool fits = e.is_number_integer() &&
                (!e.is_number_unsigned() ||
                 e.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
    if (!fits) {
      return Error(Path(key) + "[" + std::to_string(i) + "] must be an integer, got " +
                   DescribeJson(e));
    }
    values.push_back(e.get<int64_t>());
  }
  *out = std::move(values);
  return Status::Ok();
}

Status JsonScope::NumberArray(const char* key, bool required, std::vector<double>* out) const {
  const json* v = nullptr;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (!v->is_array())
    return Error(Path(key) + " must be an array of numbers, got " + DescribeJson(*v));
  std::vector<double> values;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (!e.is_number()) {
      return Error(Path(key) + "[" + std::to_string(i) + "] must be a number, got " +
                   DescribeJson(e));
    }
    values.push_back(e.get<double>());
  }
  *out = std::move(values);
  return Status::Ok();
}

Status JsonScope::Object(const char* key, bool required, JsonScope* child, bool* found) const {
  const json* v = nullptr;
  if (found != nullptr) *found = false;
  CORGI_RETURN_IF_ERROR(Lookup(key, required, &v));
  if (v == nullptr) return Status::Ok();
  if (!v->is_object()) return Error(Path(key) + " must be an object, got " + DescribeJson(*v));
  *child = JsonScope(v, file_, Path(key) + ".");
  if (found != nullptr) *found = true;
  return Status::Ok();
}

}  // namespace corgi::io_internal
