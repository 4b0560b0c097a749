#include "corgi/pipeline/results_json.h"

#include <stdexcept>

#include "corgi/core/json_scan.h"
#include "pipeline/json_fields.h"

namespace corgi::pipeline {
namespace {

using Json = nlohmann::json;

// A field of the wrong type or a required one missing; caught at the public boundary.
struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const Json& Field(const Json& obj, const char* key, const std::string& path) {
  if (!obj.is_object() || !obj.contains(key)) throw FieldError(path + "." + key + ": missing");
  return obj[key];
}

template <typename T>
T Get(const Json& obj, const char* key, const std::string& path, T fallback) {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return fallback;
  const Json& v = obj[key];
  bool ok = false;
  if constexpr (std::is_same_v<T, bool>) {
    ok = v.is_boolean();
  } else if constexpr (std::is_same_v<T, std::string>) {
    ok = v.is_string();
  } else if constexpr (std::is_integral_v<T>) {
    ok = v.is_number_integer();
  } else {
    ok = v.is_number();
  }
  if (!ok) throw FieldError(path + "." + key + ": wrong type (" + v.type_name() + ")");
  return v.get<T>();
}

const Json& Array(const Json& obj, const char* key, const std::string& path) {
  static const Json kEmpty = Json::array();
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return kEmpty;
  if (!obj[key].is_array()) throw FieldError(path + "." + key + ": expected an array");
  return obj[key];
}

Box BoxFrom(const Json& v, const std::string& path) {
  if (!v.is_array() || v.size() != 4) throw FieldError(path + ": expected [x1, y1, x2, y2]");
  for (const Json& x : v) {
    if (!x.is_number()) throw FieldError(path + ": coordinates must be numbers");
  }
  return Box{v[0].get<double>(), v[1].get<double>(), v[2].get<double>(), v[3].get<double>()};
}

std::vector<std::string> Strings(const Json& obj, const char* key, const std::string& path) {
  std::vector<std::string> out;
  for (const Json& s : Array(obj, key, path)) {
    if (!s.is_string()) throw FieldError(path + "." + key + ": expected strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

EvidenceKind KindFrom(const std::string& name, const std::string& path) {
  if (name == "object") return EvidenceKind::kObject;
  if (name == "text") return EvidenceKind::kText;
  throw FieldError(path + ": kind must be object or text");
}

BoxSource SourceFrom(const std::string& name, const std::string& path) {
  for (BoxSource s :
       {BoxSource::kReasoning, BoxSource::kGrounding, BoxSource::kWholeImage, BoxSource::kNone}) {
    if (name == BoxSourceName(s)) return s;
  }
  throw FieldError(path + ": unknown box_source \"" + name + "\"");
}

Step StepFrom(const Json& j, const std::string& path) {
  Step s;
  s.index = Get<int>(j, "index", path, 0);
  s.statement = Get<std::string>(j, "statement", path, "");
  s.reason = Get<std::string>(j, "reason", path, "");
  s.need_object = Get<bool>(j, "need_object_captioning", path, false);
  s.need_text = Get<bool>(j, "need_text_ocr", path, false);
  const Json& boxes = Array(j, "boxes", path);
  for (size_t i = 0; i < boxes.size(); ++i) {
    s.boxes.push_back(BoxFrom(boxes[i], path + ".boxes[" + std::to_string(i) + "]"));
  }
  s.box_source = SourceFrom(Get<std::string>(j, "box_source", path, "none"), path);
  s.warnings = Strings(j, "warnings", path);
  return s;
}

Evidence EvidenceFrom(const Json& j, const std::string& path) {
  Evidence e;
  e.step = Get<int>(j, "step", path, 0);
  e.kind = KindFrom(Get<std::string>(j, "kind", path, ""), path);
  e.box = BoxFrom(Field(j, "box", path), path + ".box");
  e.text = Get<std::string>(j, "text", path, "");
  e.engine = Get<std::string>(j, "engine", path, "");
  if (j.contains("confidence") && !j["confidence"].is_null()) {
    e.confidence = Get<double>(j, "confidence", path, 0);
  }
  e.ms = Get<double>(j, "ms", path, 0);
  e.crop_file = Get<std::string>(j, "crop_file", path, "");
  if (j.contains("crop_box") && !j["crop_box"].is_null()) {
    e.crop_box = BoxFrom(j["crop_box"], path + ".crop_box");
  }
  if (j.contains("error") && !j["error"].is_null()) e.error = Get<std::string>(j, "error", path, "");
  return e;
}

Counts CountsFrom(const Json& j, const std::string& path) {
  Counts c;
  c.steps = Get<int64_t>(j, "steps", path, 0);
  c.steps_with_boxes_from_reasoning = Get<int64_t>(j, "steps_with_boxes_from_reasoning", path, 0);
  c.fallback_groundings = Get<int64_t>(j, "fallback_groundings", path, 0);
  c.object_evidence = Get<int64_t>(j, "object_evidence", path, 0);
  c.text_evidence = Get<int64_t>(j, "text_evidence", path, 0);
  c.model_calls = Get<int64_t>(j, "model_calls", path, 0);
  c.tokens_generated = Get<int64_t>(j, "tokens_generated", path, 0);
  c.images_from_cache = Get<int64_t>(j, "images_from_cache", path, 0);
  c.prefix_tokens_reused = Get<int64_t>(j, "prefix_tokens_reused", path, 0);
  return c;
}

Result ResultFrom(const Json& j) {
  const std::string p = "result";
  if (!j.is_object()) throw FieldError("result: expected a JSON object");
  Result r;
  r.question = Get<std::string>(j, "question", p, "");
  r.image_path = Get<std::string>(j, "image_path", p, "");
  r.image_width = Get<int64_t>(j, "image_width", p, 0);
  r.image_height = Get<int64_t>(j, "image_height", p, 0);
  r.model = Get<std::string>(j, "model", p, "");
  r.chain_of_thought = Get<std::string>(j, "chain_of_thought", p, "");
  const Json& steps = Array(j, "steps", p);
  for (size_t i = 0; i < steps.size(); ++i) {
    r.steps.push_back(StepFrom(steps[i], p + ".steps[" + std::to_string(i) + "]"));
  }
  const Json& evidence = Array(j, "evidence", p);
  for (size_t i = 0; i < evidence.size(); ++i) {
    r.evidence.push_back(EvidenceFrom(evidence[i], p + ".evidence[" + std::to_string(i) + "]"));
  }
  r.answer = Get<std::string>(j, "answer", p, "");
  r.explanation = Get<std::string>(j, "explanation", p, "");
  const Json& keys = Array(j, "key_evidence", p);
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string kp = p + ".key_evidence[" + std::to_string(i) + "]";
    r.key_evidence.push_back(KeyEvidence{BoxFrom(Field(keys[i], "box", kp), kp + ".box"),
                                         Get<std::string>(keys[i], "description", kp, ""),
                                         Get<std::string>(keys[i], "reasoning", kp, "")});
  }
  for (const Json& t : Array(j, "timings", p)) {
    r.timings.push_back(PhaseTiming{Get<std::string>(t, "phase", p + ".timings", ""),
                                    Get<double>(t, "ms", p + ".timings", 0)});
  }
  if (j.contains("counts")) r.counts = CountsFrom(j["counts"], p + ".counts");
  r.warnings = Strings(j, "warnings", p);
  if (j.contains("error") && !j["error"].is_null()) r.error = Get<std::string>(j, "error", p, "");
  return r;
}

TraceCall CallFrom(const Json& j, const std::string& path) {
  TraceCall c;
  c.phase = Get<std::string>(j, "phase", path, "");
  c.step = Get<int>(j, "step", path, 0);
  c.prompt = Get<std::string>(j, "prompt", path, "");
  c.images = Strings(j, "images", path);
  c.constraint = Get<std::string>(j, "constraint", path, "");
  c.raw_output = Get<std::string>(j, "raw_output", path, "");
  c.finish_reason = Get<std::string>(j, "finish_reason", path, "");
  c.prompt_tokens = Get<int64_t>(j, "prompt_tokens", path, 0);
  c.generated_tokens = Get<int64_t>(j, "generated_tokens", path, 0);
  c.prefix_tokens_reused = Get<int64_t>(j, "prefix_tokens_reused", path, 0);
  c.images_from_cache = Get<int64_t>(j, "images_from_cache", path, 0);
  c.ms = Get<double>(j, "ms", path, 0);
  return c;
}

template <typename T, typename F>
StatusOr<T> Decode(const std::string& text, const std::string& source_name, F decode) {
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(text, source_name));
  try {
    return decode(Json::parse(text));
  } catch (const FieldError& e) {
    return DataLossError(source_name + ": " + e.what());
  } catch (const Json::exception& e) {
    return DataLossError(source_name + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

}  // namespace

OrderedJson BoxToJson(const Box& box) {
  return OrderedJson::array({box.x1, box.y1, box.x2, box.y2});
}

OrderedJson StepToJson(const Step& step) {
  OrderedJson boxes = OrderedJson::array();
  for (const Box& b : step.boxes) boxes.push_back(BoxToJson(b));
  const char* type = step.need_text ? "text" : step.need_object ? "object" : "reasoning";
  return OrderedJson{{"index", step.index},
                     {"statement", step.statement},
                     {"reason", step.reason},
                     {"type", type},
                     {"need_object_captioning", step.need_object},
                     {"need_text_ocr", step.need_text},
                     {"boxes", boxes},
                     {"box_source", BoxSourceName(step.box_source)},
                     {"warnings", step.warnings}};
}

OrderedJson EvidenceToJson(const Evidence& e) {
  OrderedJson confidence = e.confidence ? OrderedJson(*e.confidence) : OrderedJson(nullptr);
  return OrderedJson{{"step", e.step},
                     {"kind", EvidenceKindName(e.kind)},
                     {"box", BoxToJson(e.box)},
                     {"text", e.text},
                     {"engine", e.engine},
                     {"confidence", confidence},
                     {"ms", e.ms},
                     {"crop_file", e.crop_file},
                     {"crop_box", e.crop_box ? BoxToJson(*e.crop_box) : OrderedJson(nullptr)},
                     {"error", e.error ? OrderedJson(*e.error) : OrderedJson(nullptr)}};
}

OrderedJson KeyEvidenceToJson(const KeyEvidence& k) {
  return OrderedJson{
      {"box", BoxToJson(k.box)}, {"description", k.description}, {"reasoning", k.reasoning}};
}

OrderedJson CountsToJson(const Counts& c) {
  return OrderedJson{{"steps", c.steps},
                     {"steps_with_boxes_from_reasoning", c.steps_with_boxes_from_reasoning},
                     {"fallback_groundings", c.fallback_groundings},
                     {"object_evidence", c.object_evidence},
                     {"text_evidence", c.text_evidence},
                     {"model_calls", c.model_calls},
                     {"tokens_generated", c.tokens_generated},
                     {"images_from_cache", c.images_from_cache},
                     {"prefix_tokens_reused", c.prefix_tokens_reused}};
}

std::string ResultToJson(const Result& r, int indent) {
  OrderedJson j;
  j["question"] = r.question;
  j["image_path"] = r.image_path;
  j["image_width"] = r.image_width;
  j["image_height"] = r.image_height;
  j["model"] = r.model;
  j["chain_of_thought"] = r.chain_of_thought;
  j["steps"] = OrderedJson::array();
  for (const Step& s : r.steps) j["steps"].push_back(StepToJson(s));
  j["evidence"] = OrderedJson::array();
  for (const Evidence& e : r.evidence) j["evidence"].push_back(EvidenceToJson(e));
  j["answer"] = r.answer;
  j["explanation"] = r.explanation;
  j["key_evidence"] = OrderedJson::array();
  for (const KeyEvidence& k : r.key_evidence) j["key_evidence"].push_back(KeyEvidenceToJson(k));
  j["timings"] = OrderedJson::array();
  for (const PhaseTiming& t : r.timings) j["timings"].push_back({{"phase", t.phase}, {"ms", t.ms}});
  j["counts"] = CountsToJson(r.counts);
  j["warnings"] = r.warnings;
  j["error"] = r.error ? OrderedJson(*r.error) : OrderedJson(nullptr);
  // Model text may hold invalid UTF-8 (a truncated multi-byte character): replace it
  // rather than throw.
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TraceToJson(const Trace& trace, int indent) {
  OrderedJson j;
  j["model"] = trace.model;
  j["grounding_space"] = trace.grounding_space;
  j["calls"] = OrderedJson::array();
  for (const TraceCall& c : trace.calls) {
    j["calls"].push_back({{"phase", c.phase},
                          {"step", c.step},
                          {"prompt", c.prompt},
                          {"images", c.images},
                          {"constraint", c.constraint},
                          {"raw_output", c.raw_output},
                          {"finish_reason", c.finish_reason},
                          {"prompt_tokens", c.prompt_tokens},
                          {"generated_tokens", c.generated_tokens},
                          {"prefix_tokens_reused", c.prefix_tokens_reused},
                          {"images_from_cache", c.images_from_cache},
                          {"ms", c.ms}});
  }
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<Result> ResultFromJson(const std::string& json_text, const std::string& source_name) {
  return Decode<Result>(json_text, source_name, [](const Json& j) { return ResultFrom(j); });
}

StatusOr<Trace> TraceFromJson(const std::string& json_text, const std::string& source_name) {
  return Decode<Trace>(json_text, source_name, [](const Json& j) {
    Trace t;
    t.model = Get<std::string>(j, "model", "trace", "");
    t.grounding_space = Get<std::string>(j, "grounding_space", "trace", "");
    const Json& calls = Array(j, "calls", "trace");
    for (size_t i = 0; i < calls.size(); ++i) {
      t.calls.push_back(CallFrom(calls[i], "trace.calls[" + std::to_string(i) + "]"));
    }
    return t;
  });
}

}  // namespace corgi::pipeline
