// The fallback-grounding output: boxes with labels as Qwen writes them
// ([{"bbox_2d": [...], "label": "..."}]) and as other VLMs do, unconstrained.
#include "pipeline/model_text.h"
#include "pipeline/parse.h"
#include "pipeline/parse_json.h"

namespace corgi::pipeline {
namespace {

using parse_internal::BoxNumbers;
using parse_internal::FindBoxMember;
using parse_internal::FindMember;
using parse_internal::Json;
using parse_internal::ShortDump;

// A list of regions wrapped in an object ({"evidences": [...]}).
const Json* FindRegionList(const Json& root) {
  return FindMember(root, {"evidences", "evidence", "regions", "boxes", "bboxes", "detections",
                           "results", "objects", "items", "predictions", "grounding"});
}

// The entries of the output: one per region (a bare box counts as one).
std::vector<Json> Entries(const Json& root) {
  if (root.is_array()) {
    if (BoxNumbers(root)) return {root};
    return std::vector<Json>(root.begin(), root.end());
  }
  if (root.is_object() && FindBoxMember(root) == nullptr && !BoxNumbers(root)) {
    if (const Json* list = FindRegionList(root)) {
      if (list->is_array()) return std::vector<Json>(list->begin(), list->end());
      return {*list};
    }
  }
  return {root};
}

// The boxes of one entry: [x1, y1, x2, y2], an object with a box member (one box or a
// list of boxes) or with x1..y2 members itself. Empty when there is none.
std::vector<std::array<double, 4>> EntryBoxes(const Json& entry) {
  if (std::optional<std::array<double, 4>> bare = BoxNumbers(entry)) return {*bare};
  const Json* value = FindBoxMember(entry);
  if (value == nullptr) return {};
  if (std::optional<std::array<double, 4>> one = BoxNumbers(*value)) return {*one};
  std::vector<std::array<double, 4>> out;
  if (!value->is_array() || value->empty()) return {};
  for (const Json& v : *value) {
    std::optional<std::array<double, 4>> box = BoxNumbers(v);
    if (!box) return {};  // a mix is not a list of boxes
    out.push_back(*box);
  }
  return out;
}

std::string EntryLabel(const Json& entry) {
  const Json* label =
      FindMember(entry, {"label", "name", "object", "class", "category", "description", "text"});
  return label != nullptr && label->is_string() ? TrimSpace(label->get<std::string>()) : "";
}

std::optional<double> EntryConfidence(const Json& entry, const std::string& what,
                                      std::vector<std::string>* warnings) {
  const Json* c = FindMember(entry, {"confidence", "score", "conf", "probability"});
  if (c == nullptr) return std::nullopt;
  if (c->is_number() && c->get<double>() >= 0 && c->get<double>() <= 1) return c->get<double>();
  warnings->push_back(what + ": confidence " + ShortDump(*c) + " is not a number in [0, 1]; ignored");
  return std::nullopt;
}

}  // namespace

StatusOr<ParsedGrounding> ParseGrounding(const std::string& output, const BoxFrame& frame) {
  const SplitThought split = SplitThoughtBeforeAnswer(output, output.find_first_of("{["));
  CORGI_ASSIGN_OR_RETURN(parse_internal::RepairedValue root,
                         parse_internal::ParseFirstJsonRepairing(split.text, "grounding output",
                                                                 /*allow_truncation=*/true));
  ParsedGrounding parsed;
  parsed.warnings = root.warnings;
  std::vector<Json> entries = Entries(root.value);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& entry = entries[i];
    std::string what = "grounding region " + std::to_string(i + 1);
    std::vector<std::array<double, 4>> boxes = EntryBoxes(entry);
    if (boxes.empty()) {
      parsed.warnings.push_back(what + ": no bbox_2d of four numbers (" + ShortDump(entry) +
                                "); skipped");
      continue;
    }
    std::string label = entry.is_object() ? EntryLabel(entry) : "";
    std::optional<double> confidence =
        entry.is_object() ? EntryConfidence(entry, what, &parsed.warnings) : std::nullopt;
    for (const std::array<double, 4>& raw : boxes) {
      if (std::optional<Box> box = FromModelBox(raw, frame, what, &parsed.warnings)) {
        parsed.boxes.push_back(*box);
        parsed.labels.push_back(label);
        parsed.confidences.push_back(confidence);
      }
    }
  }
  return parsed;
}

}  // namespace corgi::pipeline
