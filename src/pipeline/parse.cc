#include "pipeline/parse.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "corgi/core/json_scan.h"

namespace corgi::pipeline {
namespace {

using Json = nlohmann::json;

constexpr size_t kSnippetChars = 160;

std::string Snippet(const std::string& text) {
  std::string s = text.substr(0, kSnippetChars);
  if (text.size() > kSnippetChars) s += "...";
  return "\"" + s + "\"";
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A JSON value as it appears in a warning, cut to kSnippetChars. Values here passed
// CheckJsonDepth, so dump() cannot recurse deeply.
std::string ShortDump(const Json& v) {
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kSnippetChars) text = text.substr(0, kSnippetChars) + "...";
  return text;
}

// The inside of the first ``` fence in `text` (the language tag line skipped), if any.
std::optional<std::string> FenceBody(const std::string& text) {
  size_t open = text.find("```");
  if (open == std::string::npos) return std::nullopt;
  size_t body = text.find('\n', open);
  if (body == std::string::npos) return std::nullopt;
  size_t close = text.find("```", body + 1);
  return text.substr(body + 1, close == std::string::npos ? std::string::npos : close - body - 1);
}

// Strictly parses `value` (the JSON extracted from `region`). DataLoss when there is none
// or it does not parse.
StatusOr<Json> ParseExtracted(const std::optional<std::string>& value, const std::string& region,
                              const std::string& what) {
  if (!value) return DataLossError(what + ": no complete JSON object or array in " + Snippet(region));
  // Model output is untrusted: a value nested thousands deep parses, but dumping it into a
  // warning or a snippet would overflow the stack.
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(*value, what));
  try {
    return Json::parse(*value);
  } catch (const Json::exception& e) {
    return DataLossError(what + ": JSON does not parse (" + std::string(e.what()) + ") in " +
                         Snippet(*value));
  }
}

// Extracts and strictly parses the first JSON value in `region`. A ``` fence inside that
// value is part of a string; a fence outside it wraps the JSON (prose may come before it,
// brackets included), so its body is tried first. DataLoss (from the first try) when
// neither gives a JSON value.
StatusOr<Json> ParseFirstJson(const std::string& region, const std::string& what) {
  const std::optional<std::string> raw = ExtractJsonValue(region, 0);
  const std::optional<std::string> body = FenceBody(region);
  if (!body) return ParseExtracted(raw, region, what);
  const std::optional<std::string> fenced = ExtractJsonValue(*body, 0);
  const size_t fence = region.find("```"), start = region.find_first_of("{[");
  const bool inside = raw && start < fence && fence < start + raw->size();
  StatusOr<Json> first = ParseExtracted(inside ? raw : fenced, region, what);
  if (first.ok()) return first;
  StatusOr<Json> second = ParseExtracted(inside ? fenced : raw, region, what);
  return second.ok() ? second : first;
}

// Flags may be JSON booleans or strings; the string "false" must be false.
std::optional<bool> ParseFlag(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    if (n == 0 || n == 1) return n == 1;
    return std::nullopt;
  }
  if (!v.is_string()) return std::nullopt;
  std::string s = Lower(Trim(v.get<std::string>()));
  if (s == "true" || s == "yes" || s == "1") return true;
  if (s == "false" || s == "no" || s == "0" || s.empty()) return false;
  return std::nullopt;
}

// Four numbers, or nullopt.
std::optional<std::array<double, 4>> FourNumbers(const Json& v) {
  if (!v.is_array() || v.size() != 4) return std::nullopt;
  std::array<double, 4> out{};
  for (size_t i = 0; i < 4; ++i) {
    if (!v[i].is_number()) return std::nullopt;
    out[i] = v[i].get<double>();
  }
  return out;
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

std::string ReadString(const Json& item, const char* key) {
  if (!item.contains(key) || !item[key].is_string()) return "";
  return Trim(item[key].get<std::string>());
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
  const char* key = item.contains("bbox") ? "bbox" : "bbox_2d";
  if (item.contains(key) && !item[key].is_null()) {
    std::optional<std::array<double, 4>> raw = FourNumbers(item[key]);
    if (!raw) {
      step.warnings.push_back(what + ": bbox is not four numbers (" + ShortDump(item[key]) +
                              "); ignored");
    } else if (std::optional<Box> box = FromModelBox(*raw, frame, what, &step.warnings)) {
      step.boxes.push_back(*box);
      step.box_source = BoxSource::kReasoning;
    }
  }
  return step;
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
  size_t think_close = output.find(kThinkClose);
  size_t json_from = think_close == std::string::npos ? 0 : think_close + kThinkClose.size();
  size_t steps_open = output.find(kStepsOpen, json_from);

  std::string region;
  if (steps_open != std::string::npos) {
    size_t body = steps_open + kStepsOpen.size();
    size_t close = output.find(kStepsClose, body);
    region = output.substr(body, close == std::string::npos ? std::string::npos : close - body);
  } else {
    region = output.substr(json_from);
  }
  // The chain of thought: the THINKING block, else whatever precedes the steps.
  size_t think_open = output.find(kThinkOpen);
  if (think_open != std::string::npos && think_open < json_from) {
    size_t b = think_open + kThinkOpen.size();
    size_t e = think_close == std::string::npos ? steps_open : think_close;
    parsed.thinking = Trim(output.substr(b, e == std::string::npos ? std::string::npos : e - b));
  } else if (think_close != std::string::npos) {
    parsed.thinking = Trim(output.substr(0, think_close));
  } else {
    size_t e = steps_open != std::string::npos ? steps_open : output.find_first_of("`{[");
    parsed.thinking = Trim(output.substr(0, e));
  }

  CORGI_ASSIGN_OR_RETURN(Json root, ParseFirstJson(region, "reasoning output"));
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

StatusOr<ParsedGrounding> ParseGrounding(const std::string& output, const BoxFrame& frame) {
  CORGI_ASSIGN_OR_RETURN(Json root, ParseFirstJson(output, "grounding output"));
  ParsedGrounding parsed;
  Json items = root.is_array() ? root : Json::array({root});
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    std::string what = "grounding region " + std::to_string(i + 1);
    const char* key = item.is_object() && item.contains("bbox_2d") ? "bbox_2d" : "bbox";
    std::optional<std::array<double, 4>> raw;
    if (item.is_object() && item.contains(key)) raw = FourNumbers(item[key]);
    if (!raw) {
      parsed.warnings.push_back(what + ": no bbox_2d of four numbers (" + ShortDump(item) +
                                "); skipped");
      continue;
    }
    if (std::optional<Box> box = FromModelBox(*raw, frame, what, &parsed.warnings)) {
      parsed.boxes.push_back(*box);
      parsed.labels.push_back(ReadString(item, "label"));
    }
  }
  return parsed;
}

StatusOr<ParsedSynthesis> ParseSynthesis(const std::string& output, const BoxFrame& frame) {
  CORGI_ASSIGN_OR_RETURN(Json root, ParseFirstJson(output, "synthesis output"));
  if (!root.is_object()) {
    return DataLossError("synthesis output: expected a JSON object, got " + Snippet(ShortDump(root)));
  }
  ParsedSynthesis parsed;
  if (!root.contains("answer") || root["answer"].is_null() || root["answer"].is_structured()) {
    return DataLossError("synthesis output: no \"answer\" in " + Snippet(ShortDump(root)));
  }
  if (root["answer"].is_string()) {
    parsed.answer = Trim(root["answer"].get<std::string>());
  } else {
    parsed.answer = root["answer"].dump();
    parsed.warnings.push_back("synthesis output: answer is not a string; used as written");
  }
  parsed.explanation = ReadString(root, "explanation");
  if (parsed.explanation.empty()) parsed.warnings.push_back("synthesis output: no explanation");
  if (root.contains("key_evidence") && !root["key_evidence"].is_null()) {
    const Json& list = root["key_evidence"];
    if (!list.is_array()) {
      parsed.warnings.push_back("synthesis output: key_evidence is not an array; ignored");
    }
    for (size_t i = 0; list.is_array() && i < list.size(); ++i) {
      std::string what = "key evidence " + std::to_string(i + 1);
      const Json& item = list[i];
      std::optional<std::array<double, 4>> raw;
      if (item.is_object() && item.contains("bbox")) raw = FourNumbers(item["bbox"]);
      std::optional<Box> box;
      if (!raw) {
        parsed.warnings.push_back(what + ": no bbox of four numbers; dropped");
      } else {
        box = FromModelBox(*raw, frame, what, &parsed.warnings);
      }
      if (!box) continue;
      parsed.key_evidence.push_back(
          KeyEvidence{*box, ReadString(item, "description"), ReadString(item, "reasoning")});
    }
  }
  if (parsed.key_evidence.size() > 3) {
    parsed.warnings.push_back("synthesis output: more than 3 key evidence items; truncated");
    parsed.key_evidence.resize(3);
  }
  return parsed;
}

}  // namespace corgi::pipeline
