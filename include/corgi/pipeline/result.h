// What one CoRGI query produces (PIPELINE.md "Results"): the steps, the evidence, the
// answer, timings and counts — the data behind results.json, trace.json, the annotated
// image and the HTML report. Plain values; copy freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corgi::pipeline {

// A region in normalized image coordinates: [0,1] with (0,0) top left, x1 < x2, y1 < y2.
struct Box {
  double x1 = 0, y1 = 0, x2 = 1, y2 = 1;
  double area() const { return (x2 - x1) * (y2 - y1); }
  static Box WholeImage() { return Box{0, 0, 1, 1}; }
};

enum class EvidenceKind { kObject, kText };
const char* EvidenceKindName(EvidenceKind kind);  // "object" | "text"

// Where a step's region came from.
enum class BoxSource { kReasoning, kGrounding, kWholeImage, kNone };
const char* BoxSourceName(BoxSource source);  // "reasoning" | "grounding" | "whole_image" | "none"

struct Step {
  int index = 0;  // 1-based, renumbered in order
  std::string statement;
  std::string reason;
  bool need_object = false;  // at most one of need_object / need_text is true
  bool need_text = false;
  std::vector<Box> boxes;    // empty for pure reasoning steps
  BoxSource box_source = BoxSource::kNone;
  std::vector<std::string> warnings;  // repairs made while parsing (swapped corners, clamping...)
};

struct Evidence {
  int step = 0;  // Step::index
  Box box;
  EvidenceKind kind = EvidenceKind::kObject;
  std::string text;    // the caption or the OCR text, whole
  std::string engine;  // "vlm-caption" | "tesseract" | "vlm-ocr"
  std::optional<double> confidence;  // 0..1 when the engine reports one (OCR)
  double ms = 0;
  std::string crop_file;  // relative to the output directory; empty if crops were not written
  // The region cut for the model (box expanded by crop_expand and padded to the model's
  // minimum input size), normalized; crops are written from it. Absent in results written
  // before it existed: then the box expanded by crop_expand.
  std::optional<Box> crop_box;
  // Why this item has no text when its extraction failed (the crop, the model call or
  // the OCR engine); the query goes on without it.
  std::optional<std::string> error;
};

struct KeyEvidence {
  Box box;
  std::string description;
  std::string reasoning;
};

struct PhaseTiming {
  std::string phase;  // "reasoning" | "grounding" | "evidence" | "synthesis" | "total"
  double ms = 0;
};

struct Counts {
  int64_t steps = 0;
  int64_t steps_with_boxes_from_reasoning = 0;
  int64_t fallback_groundings = 0;
  int64_t object_evidence = 0;
  int64_t text_evidence = 0;
  int64_t model_calls = 0;
  int64_t tokens_generated = 0;
  int64_t images_from_cache = 0;
  int64_t prefix_tokens_reused = 0;
};

struct Result {
  std::string question;
  std::string image_path;
  int64_t image_width = 0, image_height = 0;
  std::string model;  // model directory or name
  std::string chain_of_thought;
  std::vector<Step> steps;
  std::vector<Evidence> evidence;
  std::string answer;
  std::string explanation;
  std::vector<KeyEvidence> key_evidence;
  std::vector<PhaseTiming> timings;
  Counts counts;
  std::vector<std::string> warnings;
  std::optional<std::string> error;  // set when the query failed (e.g. unparseable reasoning)
};

// One model call, as recorded in trace.json (replayable).
struct TraceCall {
  std::string phase;     // "reasoning" | "grounding" | "caption" | "ocr" | "synthesis"
  int step = 0;          // the step it serves, 0 for whole-query calls
  std::string prompt;    // the user text sent (images are referenced, not embedded)
  std::vector<std::string> images;  // "original" or the crop file
  std::string constraint;           // a description of the grammar, if any
  std::string raw_output;
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  int64_t prefix_tokens_reused = 0;  // prompt tokens resumed from the engine's prefix cache
  int64_t images_from_cache = 0;     // images whose features came from the vision cache
  double ms = 0;
};

struct Trace {
  std::string model;            // Vlm::name()
  std::string grounding_space;  // "relative_1000" | "resized_input_pixels" (replay needs it)
  std::vector<TraceCall> calls;
};

}  // namespace corgi::pipeline
