// results.json and trace.json: Result and Trace to JSON text and back. Every field is
// documented in docs/RESULTS.md. Boxes are normalized [x1, y1, x2, y2] arrays.
//
//   std::string text = ResultToJson(result);
//   StatusOr<Result> back = ResultFromJson(text, "results.json");
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "corgi/core/status.h"
#include "corgi/pipeline/result.h"

namespace corgi::pipeline {

// Pretty-printed with `indent` spaces (-1: one line). Never fails.
std::string ResultToJson(const Result& result, int indent = 2);
std::string TraceToJson(const Trace& trace, int indent = 2);

// DataLoss naming the field when the text is not valid JSON or a field has the wrong
// type; absent optional fields take their defaults. `source_name` labels the errors.
StatusOr<Result> ResultFromJson(const std::string& json_text, const std::string& source_name);
StatusOr<Trace> TraceFromJson(const std::string& json_text, const std::string& source_name);

}  // namespace corgi::pipeline
