// Internal to the model-output parsers (parse.cc, parse_grounding.cc,
// parse_synthesis.cc): finding, strictly parsing and — where a phase allows it —
// repairing the JSON in a model's output, and reading boxes and strings from it.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "corgi/core/status.h"

namespace corgi::pipeline::parse_internal {

using Json = nlohmann::json;

inline constexpr size_t kSnippetChars = 160;

// The start of `text` in quotes, cut to kSnippetChars, for error messages.
std::string Snippet(const std::string& text);
std::string Lower(std::string s);
// A JSON value as it appears in a warning, cut to kSnippetChars. The value must have
// passed CheckJsonDepth (every value from ParseFirstJson has).
std::string ShortDump(const Json& v);

// The inside of the first ``` fence in `text` (the language tag line skipped), if any.
std::optional<std::string> FenceBody(const std::string& text);

// Extracts and strictly parses the first JSON value in `region`. A ``` fence inside that
// value is part of a string; a fence outside it wraps the JSON (prose may come before
// it, brackets included), so its body is tried first. DataLoss (from the first try) when
// neither gives a JSON value.
StatusOr<Json> ParseFirstJson(const std::string& region, const std::string& what);
// Strictly parses `value`, the JSON text taken from `region` (nullopt: none was found).
StatusOr<Json> ParseExtracted(const std::optional<std::string>& value, const std::string& region,
                              const std::string& what);

struct RepairedValue {
  Json value;
  std::vector<std::string> warnings;  // one naming the repairs, when any were made
  std::string open_at_end;            // RepairedJson::open_at_end ("" unless truncated)
};
// ParseFirstJson (with `open_chars` "{", the first JSON object when the first value is
// an array), and when that fails the value RepairJson makes of the text from the first
// of `open_chars` (the fence body first, when there is one). When nothing better is
// found, the strict parse's value or error.
StatusOr<RepairedValue> ParseFirstJsonRepairing(const std::string& region, const std::string& what,
                                                bool allow_truncation,
                                                const std::string& open_chars = "{[");

// The member of `object` named by the first of `names` present and not null: exact
// names first, then the same names in any case. nullptr when none is.
const Json* FindMember(const Json& object, std::initializer_list<const char*> names);

// The keys a box is written under, in the order they are looked up: bbox_2d, bbox, box,
// bounding_box and the spellings VLMs use for them.
const Json* FindBoxMember(const Json& item);
// Four numbers [x1, y1, x2, y2], or an object {x1, y1, x2, y2} / {xmin, ymin, xmax,
// ymax} / {left, top, right, bottom}; nullopt otherwise.
std::optional<std::array<double, 4>> BoxNumbers(const Json& v);

// The trimmed string member `key`, or "" when absent or not a string.
std::string ReadString(const Json& item, const char* key);

}  // namespace corgi::pipeline::parse_internal
