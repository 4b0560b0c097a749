// Repair of almost-JSON written by a model without a grammar (remote and replayed
// outputs): the mistakes a careful reader undoes without guessing. What it repairs:
//   - trailing commas before } or ];
//   - a missing comma between two members or two elements (`"a": 1 "b": 2`, `} {`);
//   - single-quoted strings (a ' closes only when a delimiter or the end follows, so
//     an apostrophe inside stays text), and Python's True / False / None;
//   - unquoted object keys made of letters, digits and underscores;
//   - raw newlines, tabs and other control characters inside strings (escaped);
//   - a backslash before a character JSON cannot escape (kept as a literal backslash);
//   - with allow_truncation, an output cut short: an open string is closed, an
//     unfinished number or literal is dropped (its prefix is a different value), a
//     dangling key, colon or comma is dropped, and open arrays and objects are closed.
// Anything else (a stray character, mismatched brackets, two commas in a row, a colon
// where a value ends) is ambiguous and makes the repair fail. Text after the first
// complete value is ignored.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace corgi::pipeline {

struct RepairedJson {
  std::string json;                  // strict JSON text
  std::vector<std::string> repairs;  // distinct repairs made, e.g. "trailing comma removed"
  // Brackets still open where the text ended ("" when it was complete): "{[{" means the
  // output stopped inside an object in an array in an object.
  std::string open_at_end;
};

struct RepairOptions {
  bool allow_truncation = false;
};

// Repairs the JSON value that starts at the first '{' or '[' at or after `from`.
// nullopt when there is none or the text cannot be repaired unambiguously.
std::optional<RepairedJson> RepairJson(const std::string& text, size_t from,
                                       const RepairOptions& options);

}  // namespace corgi::pipeline
