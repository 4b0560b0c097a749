// The synthesis output: {"answer", "explanation", "key_evidence"} as the grammar writes
// it; repaired when malformed, and salvaged from plain text when there is no JSON.
#include <vector>

#include "pipeline/model_text.h"
#include "pipeline/parse.h"
#include "pipeline/parse_json.h"

namespace corgi::pipeline {
namespace {

using parse_internal::BoxNumbers;
using parse_internal::FindBoxMember;
using parse_internal::FindMember;
using parse_internal::Json;
using parse_internal::Lower;
using parse_internal::ReadString;
using parse_internal::ShortDump;
using parse_internal::Snippet;

const std::string kWhat = "synthesis output";

StatusOr<ParsedSynthesis> FromJson(const Json& root, std::vector<std::string> warnings,
                                   const BoxFrame& frame) {
  ParsedSynthesis parsed;
  parsed.warnings = std::move(warnings);
  const Json* answer = FindMember(root, {"answer", "final_answer"});
  if (answer == nullptr || answer->is_structured()) {
    return DataLossError(kWhat + ": no \"answer\" in " + Snippet(ShortDump(root)));
  }
  if (answer->is_string()) {
    parsed.answer = TrimSpace(answer->get<std::string>());
  } else {
    parsed.answer = answer->dump();
    parsed.warnings.push_back(kWhat + ": answer is not a string; used as written");
  }
  const Json* explanation = FindMember(root, {"explanation"});
  if (explanation != nullptr && explanation->is_string()) {
    parsed.explanation = TrimSpace(explanation->get<std::string>());
  }
  if (parsed.explanation.empty()) parsed.warnings.push_back(kWhat + ": no explanation");
  if (root.contains("key_evidence") && !root["key_evidence"].is_null()) {
    const Json& list = root["key_evidence"];
    if (!list.is_array()) parsed.warnings.push_back(kWhat + ": key_evidence is not an array; ignored");
    for (size_t i = 0; list.is_array() && i < list.size(); ++i) {
      std::string what = "key evidence " + std::to_string(i + 1);
      const Json& item = list[i];
      const Json* value = FindBoxMember(item);
      std::optional<std::array<double, 4>> raw;
      if (value != nullptr) raw = BoxNumbers(*value);
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
    parsed.warnings.push_back(kWhat + ": more than 3 key evidence items; truncated");
    parsed.key_evidence.resize(3);
  }
  return parsed;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The text of a ``` fence when the output is one, else the text.
std::string Unfenced(const std::string& text) {
  std::optional<std::string> body = parse_internal::FenceBody(text);
  return body && TrimSpace(text).rfind("```", 0) == 0 ? TrimSpace(*body) : text;
}

bool LooksLikeJson(const std::string& text) {
  std::string s = TrimSpace(Unfenced(text));
  return (!s.empty() && (s[0] == '{' || s[0] == '[')) || s.find("\"answer\"") != std::string::npos ||
         s.find("'answer'") != std::string::npos;
}

// The string member `key` of JSON too broken to repair, when its value is a complete
// literal followed by ',' or '}' (or the end): anything else is ambiguous.
std::optional<std::string> SalvageMember(const std::string& text, const std::string& key) {
  for (char q : {'"', '\''}) {
    // Appended, not `std::string + ...`, which g++ 12 flags with a false -Wrestrict.
    std::string name(1, q);
    name.append(key).push_back(q);
    // The first mention followed by a colon is the key; only it is tried, since reading
    // its value may scan to the end of the text.
    size_t p = std::string::npos;
    for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
      p = at + name.size();
      while (p < text.size() && IsSpace(text[p])) ++p;
      if (p < text.size() && text[p] == ':') break;
      p = std::string::npos;
    }
    if (p == std::string::npos) continue;
    ++p;
    while (p < text.size() && IsSpace(text[p])) ++p;
    if (p >= text.size() || (text[p] != '"' && text[p] != '\'')) continue;
    const char quote = text[p];
    size_t end = p + 1, next = std::string::npos;
    for (; end < text.size(); ++end) {
      if (text[end] == '\\') {
        ++end;
        continue;
      }
      if (text[end] != quote) continue;
      next = end + 1;
      while (next < text.size() && IsSpace(text[next])) ++next;
      if (next == text.size() || text[next] == ',' || text[next] == '}') break;
      if (quote == '"') return std::nullopt;  // an unescaped quote: where it ends is a guess
      next = std::string::npos;
    }
    if (next == std::string::npos) continue;
    // Decoded by the repairer, which also takes single quotes and raw newlines.
    std::string list = "[";
    list.append(text, p, end - p + 1).push_back(']');
    StatusOr<parse_internal::RepairedValue> value =
        parse_internal::ParseFirstJsonRepairing(list, kWhat, /*allow_truncation=*/false);
    if (value.ok() && value->value.size() == 1 && value->value[0].is_string()) {
      return TrimSpace(value->value[0].get<std::string>());
    }
  }
  return std::nullopt;
}

// The text after "Answer:" (or "**Final answer:**", "# Explanation:" ...) when `line`
// starts with one of `labels`, "" when the label stands alone ("### Answer"); nullopt
// otherwise.
std::optional<std::string> LabelValue(const std::string& line, std::initializer_list<const char*> labels) {
  std::string s = TrimSpace(line);
  size_t b = s.find_first_not_of("#*_-> ");
  if (b == std::string::npos) return std::nullopt;
  s = s.substr(b);
  const std::string lower = Lower(s);
  for (const char* label : labels) {
    const std::string l = label;
    if (lower.rfind(l, 0) != 0) continue;
    size_t colon = s.find_first_not_of("*_ ", l.size());
    if (colon == std::string::npos) return "";  // "### Answer", "**Answer**": on the next line
    if (s[colon] != ':') continue;
    std::string value = TrimSpace(s.substr(colon + 1));
    size_t vb = value.find_first_not_of("*_ "), ve = value.find_last_not_of("*_ ");
    return vb == std::string::npos ? "" : value.substr(vb, ve - vb + 1);
  }
  return std::nullopt;
}

// An answer from output with no JSON: the text after an "Answer:" label (the line after
// it when the label stands alone), else the first line; the explanation is the text
// after an "Explanation:" label, else the other lines.
std::optional<ParsedSynthesis> SalvagePlainText(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  lines.push_back(text.substr(start));
  std::vector<bool> used(lines.size(), false);
  std::string answer;
  for (const char* label : {"final answer", "answer"}) {
    for (size_t i = 0; i < lines.size() && answer.empty(); ++i) {
      std::optional<std::string> value = LabelValue(lines[i], {label});
      if (!value) continue;
      used[i] = true;
      answer = *value;
      for (size_t j = i + 1; answer.empty() && j < lines.size(); ++j) {
        answer = TrimSpace(lines[j]);
        used[j] = true;
      }
    }
    if (!answer.empty()) break;
  }
  if (answer.empty()) {
    for (size_t i = 0; i < lines.size() && answer.empty(); ++i) {
      answer = TrimSpace(lines[i]);
      used[i] = true;
    }
  }
  if (answer.empty()) return std::nullopt;
  ParsedSynthesis parsed;
  parsed.answer = answer;
  std::string explanation;
  bool labelled = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (std::optional<std::string> value = LabelValue(lines[i], {"explanation", "reasoning"})) {
      labelled = true;
      explanation = *value;
      for (size_t j = i + 1; j < lines.size() && !used[j]; ++j) explanation += "\n" + lines[j];
      break;
    }
  }
  for (size_t i = 0; !labelled && i < lines.size(); ++i) {
    if (!used[i]) explanation += lines[i] + "\n";
  }
  parsed.explanation = TrimSpace(explanation);
  parsed.warnings.push_back(kWhat + ": no JSON; the answer was salvaged from plain text");
  if (parsed.explanation.empty()) parsed.warnings.push_back(kWhat + ": no explanation");
  return parsed;
}

}  // namespace

StatusOr<ParsedSynthesis> ParseSynthesis(const std::string& output, const BoxFrame& frame) {
  const SplitThought split = SplitThoughtBeforeAnswer(output, output.find_first_of("{["));
  const std::string& text = split.text;
  if (TrimSpace(text).empty() && !TrimSpace(output).empty()) {
    return DataLossError(kWhat + ": only a <think> block, no answer, in " + Snippet(output));
  }
  StatusOr<parse_internal::RepairedValue> root =
      parse_internal::ParseFirstJsonRepairing(text, kWhat, /*allow_truncation=*/true, "{");
  if (root.ok() && root->value.is_object()) return FromJson(root->value, root->warnings, frame);
  Status error = root.ok() ? DataLossError(kWhat + ": expected a JSON object, got " +
                                           Snippet(ShortDump(root->value)))
                           : root.status();
  if (LooksLikeJson(text)) {
    std::optional<std::string> answer = SalvageMember(text, "answer");
    if (!answer || answer->empty()) return error;
    ParsedSynthesis parsed;
    parsed.answer = *answer;
    parsed.explanation = SalvageMember(text, "explanation").value_or("");
    parsed.warnings.push_back(kWhat + ": JSON could not be repaired (" + error.message() +
                              "); the answer was salvaged from its \"answer\" member");
    if (parsed.explanation.empty()) parsed.warnings.push_back(kWhat + ": no explanation");
    return parsed;
  }
  if (std::optional<ParsedSynthesis> salvaged = SalvagePlainText(Unfenced(text))) return *salvaged;
  return error;
}

}  // namespace corgi::pipeline
