#include "pipeline/prompts.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

namespace corgi::pipeline {
namespace {

using Json = nlohmann::ordered_json;

// [x1, y1, x2, y2] as four integers of the model's grounding space.
Json BoxSchema(const BoxFrame& frame) {
  int64_t max_coord = static_cast<int64_t>(std::max(frame.scale_x, frame.scale_y));
  Json coord = {{"type", "integer"}, {"minimum", 0}, {"maximum", max_coord}};
  return Json{{"type", "array"}, {"items", coord}, {"minItems", 4}, {"maxItems", 4}};
}

// Strings are capped so a rambling (or random) model cannot spend a phase's whole token
// budget on one field; the caps sit well above what the prompts ask for.
Json StringSchema(int64_t max_chars) { return Json{{"type", "string"}, {"maxLength", max_chars}}; }

}  // namespace

std::string ReasoningPrompt(const std::string& question, int64_t max_steps, const BoxFrame& frame) {
  std::ostringstream s;
  s << "You answer questions about the image above by reasoning step by step and checking each "
       "step against the image.\n"
       "First think briefly inside <THINKING> and </THINKING>. Then list at most "
    << max_steps
    << " verification steps as JSON inside <STRUCTURED_STEPS> and </STRUCTURED_STEPS>, in "
       "this form:\n"
       "<STRUCTURED_STEPS>{\"steps\": [{\"index\": 1, \"statement\": \"...\", \"reason\": "
       "\"...\", \"need_object_captioning\": true, \"need_text_ocr\": false, \"bbox\": [x1, y1, "
       "x2, y2]}]}</STRUCTURED_STEPS>\n"
       "Rules for each step:\n"
       "- index: 1, 2, 3, ... in order.\n"
       "- statement: what to verify or identify in the image.\n"
       "- reason: why this step helps answer the question.\n"
       "- need_object_captioning: true for objects, people, scenes and actions.\n"
       "- need_text_ocr: true for text, numbers, signs, labels and documents.\n"
       "- At most one of the two flags is true; both are false for pure reasoning.\n"
       "- bbox: the region to look at as [x1, y1, x2, y2] (top-left and bottom-right corners), "
       "in "
    << frame.Describe() << "; or null when no single region applies.\n"
    << "Question: " << question;
  return s.str();
}

std::string GroundingPrompt(const std::string& statement, int64_t max_regions,
                            const BoxFrame& frame) {
  std::ostringstream s;
  s << "Locate the image region that the statement below is about. Answer with a JSON array of "
       "at most "
    << max_regions
    << " objects of the form {\"bbox_2d\": [x1, y1, x2, y2], \"label\": \"...\"}, where the "
       "box gives the top-left and bottom-right corners in "
    << frame.Describe() << ". Answer [] if the region is not visible.\n"
    << "Statement: " << statement;
  return s.str();
}

std::string CaptionPrompt(const std::string& statement) {
  return "This image is a region cropped from a larger picture. Describe what is in the region: "
         "the objects, people, scene or action, with their visible details. Then say whether "
         "the region supports the statement below, and why.\nStatement: " +
         statement;
}

std::string VlmOcrPrompt() {
  return "This image is a region cropped from a larger picture. Read all the text in it exactly "
         "as written, line by line, and output only that text. Output nothing if there is no "
         "readable text.";
}

std::string SynthesisPrompt(const std::string& question, const std::vector<Step>& steps,
                            const std::vector<SynthesisEvidence>& evidence, const BoxFrame& frame) {
  std::ostringstream s;
  s << "Answer the question about the image above using the verification steps and the "
       "evidence read from image regions. Reply with JSON: {\"answer\": a concise answer, "
       "\"explanation\": 2-3 sentences, \"key_evidence\": at most 3 items {\"bbox\": [x1, y1, "
       "x2, y2], \"description\": \"...\", \"reasoning\": \"...\"}}. Boxes are in "
    << frame.Describe() << ".\n";
  s << "Question: " << question << "\n";
  s << "Steps:\n";
  if (steps.empty()) s << "(none)\n";
  for (const Step& st : steps) {
    const char* type = st.need_text ? "text" : st.need_object ? "object" : "reasoning";
    s << st.index << ". [" << type << "] " << st.statement;
    if (!st.reason.empty()) s << " (reason: " << st.reason << ")";
    s << "\n";
  }
  s << "Evidence:\n";
  if (evidence.empty()) s << "(none)\n";
  for (const SynthesisEvidence& e : evidence) {
    s << "- Step " << e.step << ", " << EvidenceKindName(e.kind) << " region "
      << ModelBoxText(e.box, frame) << ": ";
    if (e.kind == EvidenceKind::kText) {
      s << (e.text.empty() ? "no text was read" : "text read: \"" + e.text + "\"");
    } else {
      s << (e.text.empty() ? "no description" : e.text);
    }
    if (!e.note.empty()) s << " (" << e.note << ")";
    s << "\n";
  }
  return s.str();
}

std::string StepsSchema(int64_t max_steps, const BoxFrame& frame) {
  Json bbox = {{"anyOf", Json::array({BoxSchema(frame), Json{{"type", "null"}}})}};
  Json step = {{"type", "object"},
               {"properties",
                {{"index", {{"type", "integer"}, {"minimum", 1}}},
                 {"statement", StringSchema(300)},
                 {"reason", StringSchema(300)},
                 {"need_object_captioning", {{"type", "boolean"}}},
                 {"need_text_ocr", {{"type", "boolean"}}},
                 {"bbox", bbox}}},
               {"required", Json::array({"index", "statement", "reason", "need_object_captioning",
                                         "need_text_ocr", "bbox"})},
               {"additionalProperties", false}};
  Json steps = {{"type", "array"}, {"items", step}, {"minItems", 1}, {"maxItems", max_steps}};
  Json root = {{"type", "object"},
               {"properties", {{"steps", steps}}},
               {"required", Json::array({"steps"})},
               {"additionalProperties", false}};
  return root.dump();
}

std::string GroundingSchema(int64_t max_regions, const BoxFrame& frame) {
  Json item = {{"type", "object"},
               {"properties", {{"bbox_2d", BoxSchema(frame)}, {"label", StringSchema(80)}}},
               {"required", Json::array({"bbox_2d", "label"})},
               {"additionalProperties", false}};
  Json root = {{"type", "array"}, {"items", item}, {"minItems", 0}, {"maxItems", max_regions}};
  return root.dump();
}

std::string SynthesisSchema(const BoxFrame& frame) {
  Json item = {{"type", "object"},
               {"properties",
                {{"bbox", BoxSchema(frame)},
                 {"description", StringSchema(300)},
                 {"reasoning", StringSchema(400)}}},
               {"required", Json::array({"bbox", "description", "reasoning"})},
               {"additionalProperties", false}};
  Json root = {
      {"type", "object"},
      {"properties",
       {{"answer", StringSchema(300)},
        {"explanation", StringSchema(600)},
        {"key_evidence", {{"type", "array"}, {"items", item}, {"minItems", 0}, {"maxItems", 3}}}}},
      {"required", Json::array({"answer", "explanation", "key_evidence"})},
      {"additionalProperties", false}};
  return root.dump();
}

Constraint ReasoningConstraint(int64_t max_steps, const BoxFrame& frame) {
  Constraint c;
  c.free_text_until = "</THINKING>";
  c.prefix = "\n<STRUCTURED_STEPS>";
  c.json_schema = StepsSchema(max_steps, frame);
  c.suffix = "</STRUCTURED_STEPS>";
  return c;
}

Constraint GroundingConstraint(int64_t max_regions, const BoxFrame& frame) {
  Constraint c;
  c.json_schema = GroundingSchema(max_regions, frame);
  return c;
}

Constraint SynthesisConstraint(const BoxFrame& frame) {
  Constraint c;
  c.json_schema = SynthesisSchema(frame);
  return c;
}

std::string DescribeConstraint(const Constraint& constraint) {
  if (constraint.empty()) return "";
  Json j = Json::object();
  if (!constraint.free_text_until.empty()) j["free_text_until"] = constraint.free_text_until;
  if (!constraint.prefix.empty()) j["prefix"] = constraint.prefix;
  if (!constraint.json_schema.empty()) j["json_schema"] = constraint.json_schema;
  if (!constraint.suffix.empty()) j["suffix"] = constraint.suffix;
  return j.dump();
}

}  // namespace corgi::pipeline
