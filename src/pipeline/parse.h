// Defensive parsing of model outputs (PIPELINE.md phases 1+2, grounding, synthesis).
// The local engine decodes these calls under a grammar, but replay and remote engines do
// not, so each parser accepts the common variations (tags present or missing, ```json
// fences, trailing text, flags spelled as strings) and repairs boxes. It never guesses
// at malformed JSON: single quotes, trailing commas and the like are an error, and so
// is JSON nested deeper than kMaxJsonDepth (64) levels (core/json_scan.h), so no value
// from model output that reaches a serializer can be deep enough to overflow the stack.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/pipeline/result.h"
#include "pipeline/boxes.h"

namespace corgi::pipeline {

struct ParsedReasoning {
  std::string thinking;  // the chain of thought (text of <THINKING>, or the text before the JSON)
  std::vector<Step> steps;            // renumbered 1..n, at most max_steps; boxes normalized
  std::vector<std::string> warnings;  // query-level repairs (steps dropped or truncated)
};

// Errors (DataLoss, with a snippet of the output): no JSON found, JSON that does not
// parse strictly, or no "steps" array. Per-step problems are repaired with warnings:
// a missing statement drops the step; both flags true -> text; a bad bbox -> no box.
StatusOr<ParsedReasoning> ParseReasoning(const std::string& output, int64_t max_steps,
                                         const BoxFrame& frame);

struct ParsedGrounding {
  std::vector<Box> boxes;  // normalized, in output order (no NMS yet)
  std::vector<std::string> labels;
  std::vector<std::string> warnings;
};
// Accepts an array of {bbox_2d, label} or a single such object, fenced or not.
// Unusable entries are skipped with a warning; an unparseable output is DataLoss.
StatusOr<ParsedGrounding> ParseGrounding(const std::string& output, const BoxFrame& frame);

struct ParsedSynthesis {
  std::string answer;
  std::string explanation;
  std::vector<KeyEvidence> key_evidence;  // at most 3, boxes normalized
  std::vector<std::string> warnings;
};
// DataLoss naming what is wrong when the output has no JSON object with a string
// "answer". Missing explanation or bad key-evidence items are repaired with warnings.
StatusOr<ParsedSynthesis> ParseSynthesis(const std::string& output, const BoxFrame& frame);

// The text of the first balanced JSON object or array starting at or after `from`,
// honoring strings and escapes; nullopt if none closes. Exposed for tests.
std::optional<std::string> ExtractJsonValue(const std::string& text, size_t from);

}  // namespace corgi::pipeline
