#include "pipeline/parse.h"

#include <algorithm>
#include <cctype>

#include "corgi/core/json_scan.h"
#include "pipeline/model_text.h"
#include "pipeline/parse_json.h"

namespace corgi::pipeline {
namespace {

using parse_internal::BoxNumbers;
using parse_internal::FindBoxMember;
using parse_internal::Json;
using parse_internal::Lower;
using parse_internal::ParseExtracted;
using parse_internal::ParseFirstJson;
using parse_internal::ReadString;
using parse_internal::ShortDump;
using parse_internal::Snippet;

// Flags may be JSON booleans or strings; the string "false" must be false.
std::optional<bool> ParseFlag(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    if (n == 0 || n == 1) return n == 1;
    return std::nullopt;
  }
  if (!v.is_string()) return std::nullopt;
  std::string s = Lower(TrimSpace(v.get<std::string>()));
  if (s == "true" || s == "yes" || s == "1") return true;
  if (s == "false" || s == "no" || s == "0" || s.empty()) return false;
  return std::nullopt;
}

bool ReadFlag(const Json& item, const char* key, const std::string& what,
              std::vector<std::string>* warnings) {
  if (!item.contains(key) || item[key].is_null()) return false;
  std::optional<bool> flag = ParseFlag(item[key]);
  if (!flag) {
    warnings->push_back(what + ": " + key + " is not a boolean (" + ShortDump(item[key]) +
                        "); taken as false");
    return false;
  }
  return *flag;
}

// One step from its JSON object; nullopt (with a warning) when it has no statement.
std::optional<Step> ReadStep(const Json& item, size_t position, const BoxFrame& frame,
                             std::vector<std::string>* warnings) {
  std::string what = "step " + std::to_string(position);
  if (!item.is_object()) {
    warnings->push_back(what + ": not a JSON object; dropped");
    return std::nullopt;
  }
  Step step;
  step.statement = ReadString(item, "statement");
  if (step.statement.empty()) {
    warnings->push_back(what + ": missing statement; dropped");
    return std::nullopt;
  }
  step.reason = ReadString(item, "reason");
  step.need_object = ReadFlag(item, "need_object_captioning", what, &step.warnings);
  step.need_text = ReadFlag(item, "need_text_ocr", what, &step.warnings);
  if (step.need_object && step.need_text) {
    step.warnings.push_back(what +
                            ": both need_object_captioning and need_text_ocr are true; "
                            "treated as text");
    step.need_object = false;
  }
  if (const Json* value = FindBoxMember(item)) {
    std::optional<std::array<double, 4>> raw = BoxNumbers(*value);
    if (!raw) {
      step.warnings.push_back(what + ": bbox is not four numbers (" + ShortDump(*value) +
                              "); ignored");
    } else if (std::optional<Box> box = FromModelBox(*raw, frame, what, &step.warnings)) {
      step.boxes.push_back(*box);
      step.box_source = BoxSource::kReasoning;
    }
  }
  return step;
}

constexpr size_t kNpos = std::string::npos;

// The position of `tag`: as written (the grammar's upper case) first, then in any case.
size_t FindEitherCase(const std::string& text, const std::string& tag, size_t from = 0) {
  size_t p = text.find(tag, from);
  return p != kNpos ? p : FindTag(text, tag, from);
}

bool HasSteps(const Json& root) {
  return root.is_array() || (root.is_object() && root.contains("steps") && root["steps"].is_array());
}

struct StepsJson {
  Json root;
  size_t start = kNpos;  // where in the region it starts, when found by its "steps" key
};

// The first JSON value of `region`; when that fails or holds no steps (a bracket in
// untagged prose before the plan), the object that holds a "steps" key.
StatusOr<StepsJson> FindStepsJson(const std::string& region) {
  StatusOr<Json> first = ParseFirstJson(region, "reasoning output");
  if (first.ok() && HasSteps(*first)) return StepsJson{std::move(*first)};
  // A few tries: each one may scan to the end of the output.
  int tries = 0;
  for (size_t key = region.find("\"steps\""); key != kNpos && tries < 8;
       key = region.find("\"steps\"", key + 1)) {
    size_t open = region.find_last_not_of(" \t\r\n", key == 0 ? kNpos : key - 1);
    if (open == kNpos || region[open] != '{') continue;
    ++tries;
    StatusOr<Json> value =
        ParseExtracted(ExtractJsonValue(region, open), region, "reasoning output");
    if (value.ok() && HasSteps(*value)) return StepsJson{std::move(*value), open};
  }
  if (!first.ok()) return first.status();
  return StepsJson{std::move(*first)};
}

}  // namespace

std::optional<std::string> ExtractJsonValue(const std::string& text, size_t from) {
  size_t start = text.find_first_of("{[", from);
  if (start == std::string::npos) return std::nullopt;
  JsonDepthScanner scanner;
  for (size_t i = start; i < text.size(); ++i) {
    if (scanner.Feed(text[i]) == JsonDepthScanner::Event::kClose && scanner.depth() == 0) {
      return text.substr(start, i - start + 1);
    }
  }
  return std::nullopt;
}

StatusOr<ParsedReasoning> ParseReasoning(const std::string& output, int64_t max_steps,
                                         const BoxFrame& frame) {
  ParsedReasoning parsed;
  const std::string kThinkOpen = "<THINKING>", kThinkClose = "</THINKING>";
  const std::string kStepsOpen = "<STRUCTURED_STEPS>", kStepsClose = "</STRUCTURED_STEPS>";
  size_t answer_start =
      std::min({FindTag(output, "<thinking>"), FindTag(output, "<structured_steps>"),
                output.find_first_of("{[")});
  const auto [text, model_thought] = SplitThoughtBeforeAnswer(output, answer_start);
  size_t think_close = FindEitherCase(text, kThinkClose);
  size_t json_from = think_close == kNpos ? 0 : think_close + kThinkClose.size();
  size_t steps_open = FindEitherCase(text, kStepsOpen, json_from);

  std::string region;
  size_t region_at = json_from;
  if (steps_open != kNpos) {
    region_at = steps_open + kStepsOpen.size();
    size_t close = FindEitherCase(text, kStepsClose, region_at);
    region = text.substr(region_at, close == kNpos ? kNpos : close - region_at);
  } else {
    region = text.substr(json_from);
  }
  CORGI_ASSIGN_OR_RETURN(StepsJson found, FindStepsJson(region));
  Json& root = found.root;
  // The chain of thought: the THINKING block, else whatever precedes the steps, else the
  // thinking model's own block.
  size_t think_open = FindEitherCase(text, kThinkOpen);
  if (think_open != kNpos && think_open < json_from) {
    size_t b = think_open + kThinkOpen.size();
    size_t e = think_close == kNpos ? steps_open : think_close;
    parsed.thinking = WithoutThinkTags(text.substr(b, e == kNpos ? kNpos : e - b));
  } else if (think_close != kNpos) {
    parsed.thinking = WithoutThinkTags(text.substr(0, think_close));
  } else {
    size_t e = steps_open != kNpos       ? steps_open
               : found.start != kNpos ? region_at + found.start
                                         : text.find_first_of("`{[");
    parsed.thinking = WithoutThinkTags(text.substr(0, e));
  }
  if (parsed.thinking.empty()) parsed.thinking = model_thought;

  const Json* list = nullptr;
  if (root.is_object() && root.contains("steps") && root["steps"].is_array()) {
    list = &root["steps"];
  } else if (root.is_array()) {
    list = &root;
    parsed.warnings.push_back("reasoning output: a bare array instead of {\"steps\": [...]}");
  } else {
    return DataLossError("reasoning output: JSON has no \"steps\" array: " + Snippet(ShortDump(root)));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    if (std::optional<Step> step = ReadStep((*list)[i], i + 1, frame, &parsed.warnings)) {
      parsed.steps.push_back(std::move(*step));
    }
  }
  if (static_cast<int64_t>(parsed.steps.size()) > max_steps) {
    parsed.warnings.push_back("reasoning output: " + std::to_string(parsed.steps.size()) +
                              " steps, more than max_steps = " + std::to_string(max_steps) +
                              "; truncated");
    parsed.steps.resize(static_cast<size_t>(max_steps));
  }
  for (size_t i = 0; i < parsed.steps.size(); ++i) parsed.steps[i].index = static_cast<int>(i + 1);
  return parsed;
}

}  // namespace corgi::pipeline
