// Every prompt the pipeline sends, and the JSON schemas that constrain the structured
// calls (PIPELINE.md). Prompt order follows DESIGN.md "Caches and batching": the image
// comes first (the caller puts it before this text), then fixed instructions, then the
// call-specific part, so calls on one image share their prefix.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "corgi/request/constraint.h"
#include "corgi/pipeline/result.h"
#include "pipeline/boxes.h"

namespace corgi::pipeline {

// Phase 1+2: chain of thought in <THINKING>, then <STRUCTURED_STEPS>{"steps":[...]}.
std::string ReasoningPrompt(const std::string& question, int64_t max_steps, const BoxFrame& frame);
// Fallback grounding of one step's statement: a JSON array of {bbox_2d, label}.
std::string GroundingPrompt(const std::string& statement, int64_t max_regions,
                            const BoxFrame& frame);
// Caption of an object crop, with the statement as context.
std::string CaptionPrompt(const std::string& statement);
// The model reading the text of a crop (ocr.engine = vlm).
std::string VlmOcrPrompt();

// One evidence line of the synthesis prompt: the box and the whole text.
struct SynthesisEvidence {
  int step = 0;
  EvidenceKind kind = EvidenceKind::kObject;
  Box box;
  std::string text;  // caption or OCR text; empty means nothing was read
  std::string note;  // e.g. "OCR failed: ..." (optional)
};
// Phase 4: every step with its type and every evidence item with its box and text.
std::string SynthesisPrompt(const std::string& question, const std::vector<Step>& steps,
                            const std::vector<SynthesisEvidence>& evidence, const BoxFrame& frame);

// JSON Schemas (as text) for the constrained calls.
std::string StepsSchema(int64_t max_steps, const BoxFrame& frame);
std::string GroundingSchema(int64_t max_regions, const BoxFrame& frame);
std::string SynthesisSchema(const BoxFrame& frame);

// The full constraints of the structured calls.
Constraint ReasoningConstraint(int64_t max_steps, const BoxFrame& frame);
Constraint GroundingConstraint(int64_t max_regions, const BoxFrame& frame);
Constraint SynthesisConstraint(const BoxFrame& frame);

// A one-line JSON description of a constraint for the trace ("" when none).
std::string DescribeConstraint(const Constraint& constraint);

}  // namespace corgi::pipeline
