// Test helpers for constrained decoding: the pipeline's schemas and a small JSON Schema
// validator for the supported subset, written independently of the matcher (it checks
// parsed values, not bytes) so tests can judge the matcher's output.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corgi::constraint::testing {

using OJson = nlohmann::ordered_json;

// The reasoning call's steps (PIPELINE.md, phase 1+2).
inline std::string StepsSchema(int max_steps) {
  return R"({"type":"object","properties":{"steps":{"type":"array","maxItems":)" +
         std::to_string(max_steps) + R"(,"items":{"type":"object","properties":{
    "index":{"type":"integer","minimum":1},
    "statement":{"type":"string"},
    "reason":{"type":"string"},
    "need_object_captioning":{"type":"boolean"},
    "need_text_ocr":{"type":"boolean"},
    "bbox":{"anyOf":[{"type":"array","items":{"type":"integer","minimum":0,"maximum":1000},
                      "minItems":4,"maxItems":4},{"type":"null"}]}},
    "required":["index","statement","need_object_captioning","need_text_ocr","bbox"]}}},
    "required":["steps"]})";
}

// Fallback grounding: up to `k` boxes with labels.
inline std::string GroundingSchema(int k) {
  return R"({"type":"array","maxItems":)" + std::to_string(k) + R"(,"items":{"type":"object",
    "properties":{"bbox_2d":{"type":"array","minItems":4,"maxItems":4,
                             "items":{"type":"integer","minimum":0,"maximum":1000}},
                  "label":{"type":"string"}},"required":["bbox_2d","label"]}})";
}

// Synthesis: answer, explanation, up to three key evidence items.
inline std::string SynthesisSchema() {
  return R"({"type":"object","properties":{
    "answer":{"type":"string"},
    "explanation":{"type":"string"},
    "key_evidence":{"type":"array","maxItems":3,"items":{"type":"object","properties":{
        "bbox":{"type":"array","minItems":4,"maxItems":4,
                "items":{"type":"integer","minimum":0,"maximum":1000}},
        "description":{"type":"string"},"reasoning":{"type":"string"}},
      "required":["bbox","description","reasoning"]}}},
    "required":["answer","explanation","key_evidence"]})";
}

inline size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

inline bool HasType(const OJson& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "integer") return v.is_number_integer();
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

// "" when `v` satisfies `schema`, else what is wrong. Objects with properties must list
// their keys in declared order and have no others (the matcher's documented shape);
// objects without take any keys (values per additionalProperties when it is a schema).
// A schema without type (or keywords implying one) takes any value.
inline std::string Validate(const OJson& v, const OJson& schema, const std::string& at = "$") {
  if (schema.contains("const")) return v == schema["const"] ? "" : at + ": not the const";
  if (schema.contains("enum")) {
    for (const OJson& e : schema["enum"]) {
      if (v == e) return "";
    }
    return at + ": not in enum";
  }
  if (schema.contains("anyOf")) {
    for (const OJson& b : schema["anyOf"]) {
      if (Validate(v, b, at).empty()) return "";
    }
    return at + ": matches no anyOf branch";
  }
  if (!schema.contains("type")) {
    if (schema.contains("properties") || schema.contains("additionalProperties")) {
      if (!v.is_object()) return at + ": not an object";
    } else if (schema.contains("items")) {
      if (!v.is_array()) return at + ": not an array";
    } else {
      return "";
    }
  }
  std::vector<std::string> types;
  if (!schema.contains("type"))
    types.push_back(v.is_object() ? "object" : "array");
  else if (schema["type"].is_string())
    types.push_back(schema["type"]);
  else
    for (const OJson& t : schema["type"]) types.push_back(t);
  bool typed = false;
  for (const std::string& t : types) typed |= HasType(v, t);
  if (!typed) return at + ": wrong type " + std::string(v.type_name());
  const bool open_object = !schema.contains("properties") || schema["properties"].empty();
  if (v.is_object() && open_object) {
    if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
      for (const auto& [k, sub] : v.items()) {
        std::string e = Validate(sub, schema["additionalProperties"], at + "." + k);
        if (!e.empty()) return e;
      }
    }
  } else if (v.is_object()) {
    const OJson& props = schema["properties"];
    size_t last = 0;
    for (const auto& [k, sub] : v.items()) {
      if (!props.contains(k)) return at + ": unexpected key " + k;
      size_t idx = 0;
      for (const auto& [pk, ps] : props.items()) {
        if (pk == k) break;
        ++idx;
      }
      if (idx < last) return at + ": key " + k + " out of order";
      last = idx;
      std::string e = Validate(sub, props[k], at + "." + k);
      if (!e.empty()) return e;
    }
    if (schema.contains("required")) {
      for (const OJson& r : schema["required"]) {
        if (!v.contains(r.get<std::string>())) return at + ": missing " + r.get<std::string>();
      }
    }
  } else if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>())
      return at + ": too few items";
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>())
      return at + ": too many items";
    for (size_t i = 0; i < v.size() && schema.contains("items"); ++i) {
      std::string e = Validate(v[i], schema["items"], at + "[" + std::to_string(i) + "]");
      if (!e.empty()) return e;
    }
  } else if (v.is_string()) {
    const size_t n = CodePoints(v.get<std::string>());
    if (schema.contains("minLength") && n < schema["minLength"].get<size_t>())
      return at + ": too short";
    if (schema.contains("maxLength") && n > schema["maxLength"].get<size_t>())
      return at + ": too long";
  } else if (v.is_number()) {
    const double x = v.get<double>();
    if (schema.contains("minimum") && x < schema["minimum"].get<double>())
      return at + ": below minimum";
    if (schema.contains("maximum") && x > schema["maximum"].get<double>())
      return at + ": above maximum";
  }
  return "";
}

}  // namespace corgi::constraint::testing
