// Defensive parsing of model outputs (PIPELINE.md phases 1+2, grounding, synthesis).
// The local engine decodes these calls under a grammar, but replay and remote engines do
// not, so each parser accepts the common variations (tags in any case or missing,
// <think> blocks of thinking models, ```json fences, trailing text, flags spelled as
// strings, boxes under other keys) and repairs boxes. Output that parses strictly is
// read exactly as a grammar wrote it; only when it does not do the grounding and
// synthesis parsers repair the JSON (json_repair.h: what is unambiguous, never invented
// content) and say so in a warning. The reasoning JSON is never repaired: a malformed
// plan is an error. JSON nested deeper than kMaxJsonDepth (64) levels (core/json_scan.h)
// is an error everywhere, so no value from model output that reaches a serializer can
// be deep enough to overflow the stack.
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
  // The chain of thought: the text of <THINKING>, else the text before the JSON, else a
  // thinking model's <think> block; never the tags themselves.
  std::string thinking;
  std::vector<Step> steps;            // renumbered 1..n, at most max_steps; boxes normalized
  std::vector<std::string> warnings;  // query-level repairs (steps dropped or truncated)
};

// The tags are matched as written first (the grammar's upper case), then in any case;
// the steps are the JSON inside <STRUCTURED_STEPS>, else the first JSON after the
// thinking, else the object holding "steps". Errors (DataLoss, with a snippet of the
// output): no JSON found, JSON that does not parse strictly, or no "steps" array.
// Per-step problems are repaired with warnings: a missing statement drops the step;
// both flags true -> text; a bad bbox -> no box.
StatusOr<ParsedReasoning> ParseReasoning(const std::string& output, int64_t max_steps,
                                         const BoxFrame& frame);

struct ParsedGrounding {
  std::vector<Box> boxes;  // normalized, in output order (no NMS yet)
  std::vector<std::string> labels;
  std::vector<std::optional<double>> confidences;  // per box, when the model gave one in [0, 1]
  std::vector<std::string> warnings;
};
// Accepts an array of {bbox_2d, label} or a single such object, fenced or not; the box
// also under bbox, box, bounding_box (parse_json.h FindBoxMember) or as {x1, y1, x2, y2};
// the list also wrapped ({"evidences" | "regions" | "boxes" | "detections" | "results" |
// "objects" | ...: [...]}) or as bare [x1, y1, x2, y2] boxes; a confidence under
// confidence, score or conf. Malformed or truncated JSON is repaired (with a warning).
// Unusable entries are skipped with a warning; an unparseable output is DataLoss.
StatusOr<ParsedGrounding> ParseGrounding(const std::string& output, const BoxFrame& frame);

struct ParsedSynthesis {
  std::string answer;
  std::string explanation;
  std::vector<KeyEvidence> key_evidence;  // at most 3, boxes normalized
  std::vector<std::string> warnings;
};
// Malformed or truncated JSON is repaired; output with no JSON at all has its answer
// salvaged from the text ("Answer: ..." or its first line), and a string "answer" is
// salvaged from JSON too broken to repair — each with a warning. DataLoss naming what
// is wrong otherwise (JSON without "answer", empty output). Missing explanation or bad
// key-evidence items are repaired with warnings.
StatusOr<ParsedSynthesis> ParseSynthesis(const std::string& output, const BoxFrame& frame);

// The text of the first balanced JSON object or array starting at or after `from`,
// honoring strings and escapes; nullopt if none closes. Exposed for tests.
std::optional<std::string> ExtractJsonValue(const std::string& text, size_t from);

}  // namespace corgi::pipeline
