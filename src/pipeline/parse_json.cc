#include "pipeline/parse_json.h"

#include <algorithm>
#include <cctype>

#include "corgi/core/json_scan.h"
#include "pipeline/json_repair.h"
#include "pipeline/model_text.h"
#include "pipeline/parse.h"

namespace corgi::pipeline::parse_internal {

std::string Snippet(const std::string& text) {
  std::string s = text.substr(0, kSnippetChars);
  if (text.size() > kSnippetChars) s += "...";
  return "\"" + s + "\"";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ShortDump(const Json& v) {
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kSnippetChars) text = text.substr(0, kSnippetChars) + "...";
  return text;
}

std::optional<std::string> FenceBody(const std::string& text) {
  size_t open = text.find("```");
  if (open == std::string::npos) return std::nullopt;
  size_t body = text.find('\n', open);
  if (body == std::string::npos) return std::nullopt;
  size_t close = text.find("```", body + 1);
  return text.substr(body + 1, close == std::string::npos ? std::string::npos : close - body - 1);
}

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

StatusOr<RepairedValue> ParseFirstJsonRepairing(const std::string& region, const std::string& what,
                                                bool allow_truncation,
                                                const std::string& open_chars) {
  StatusOr<Json> strict = ParseFirstJson(region, what);
  const bool any = open_chars.find('[') != std::string::npos;
  if (strict.ok() && (any || strict->is_object())) return RepairedValue{std::move(*strict), {}, ""};
  if (strict.ok()) {
    // An object is wanted and the first value was an array ("steps [1] and [2]: {...}").
    size_t from = region.find('{');
    if (from != std::string::npos) {
      StatusOr<Json> object = ParseExtracted(ExtractJsonValue(region, from), region, what);
      if (object.ok()) return RepairedValue{std::move(*object), {}, ""};
    }
  }
  std::vector<std::string> texts;
  if (std::optional<std::string> body = FenceBody(region)) texts.push_back(*body);
  texts.push_back(region);
  for (const std::string& text : texts) {
    size_t from = text.find_first_of(open_chars);
    if (from == std::string::npos) continue;
    std::optional<RepairedJson> repaired = RepairJson(text, from, RepairOptions{allow_truncation});
    if (!repaired) continue;
    StatusOr<Json> value = ParseExtracted(repaired->json, text, what);
    if (!value.ok()) continue;
    std::string list;
    for (const std::string& r : repaired->repairs) list += (list.empty() ? "" : "; ") + r;
    return RepairedValue{std::move(*value), {what + ": malformed JSON repaired (" + list + ")"},
                         repaired->open_at_end};
  }
  if (strict.ok()) return RepairedValue{std::move(*strict), {}, ""};  // the caller says what is wrong
  return strict.status();
}

const Json* FindMember(const Json& object, std::initializer_list<const char*> names) {
  if (!object.is_object()) return nullptr;
  for (const char* name : names) {
    auto it = object.find(name);
    if (it != object.end() && !it->is_null()) return &*it;
  }
  for (const char* name : names) {
    const std::string lower = Lower(name);
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (!it->is_null() && Lower(it.key()) == lower) return &*it;
    }
  }
  return nullptr;
}

const Json* FindBoxMember(const Json& item) {
  // Not "box_2d": Gemini writes [ymin, xmin, ymax, xmax] under it, a different order.
  return FindMember(item, {"bbox_2d", "bbox", "box", "bounding_box", "bbox2d", "boundingbox",
                           "bounding_box_2d", "bbox_xyxy", "xyxy"});
}

std::optional<std::array<double, 4>> BoxNumbers(const Json& v) {
  if (v.is_array()) {
    if (v.size() != 4) return std::nullopt;
    std::array<double, 4> out{};
    for (size_t i = 0; i < 4; ++i) {
      if (!v[i].is_number()) return std::nullopt;
      out[i] = v[i].get<double>();
    }
    return out;
  }
  if (!v.is_object()) return std::nullopt;
  for (const auto& names : {std::array<const char*, 4>{"x1", "y1", "x2", "y2"},
                            std::array<const char*, 4>{"xmin", "ymin", "xmax", "ymax"},
                            std::array<const char*, 4>{"x_min", "y_min", "x_max", "y_max"},
                            std::array<const char*, 4>{"left", "top", "right", "bottom"}}) {
    std::array<double, 4> out{};
    bool all = true;
    for (size_t i = 0; i < 4 && all; ++i) {
      const Json* n = FindMember(v, {names[i]});
      all = n != nullptr && n->is_number();
      if (all) out[i] = n->get<double>();
    }
    if (all) return out;
  }
  return std::nullopt;
}

std::string ReadString(const Json& item, const char* key) {
  if (!item.contains(key) || !item[key].is_string()) return "";
  return TrimSpace(item[key].get<std::string>());
}

}  // namespace corgi::pipeline::parse_internal
