// What a model (or a replay file, or a remote engine) answers, through the pipeline's
// parsers for the reasoning, grounding and synthesis phases — every input through all
// three, in the relative-1000 frame for even sizes and a 812x616 pixel frame for odd —
// and through the JSON repair and the <think> stripping they use. Boxes that come out
// must be normalized: finite, inside [0,1], corners ordered; a grounding output's
// confidences in [0, 1], one per box.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "corgi/core/check.h"
#include "pipeline/json_repair.h"
#include "pipeline/model_text.h"
#include "pipeline/parse.h"

namespace {

void CheckBox(const corgi::pipeline::Box& b) {
  for (double v : {b.x1, b.y1, b.x2, b.y2}) CORGI_CHECK(std::isfinite(v) && v >= 0 && v <= 1) << v;
  CORGI_CHECK(b.x1 <= b.x2 && b.y1 <= b.y2) << b.x1 << "," << b.y1 << "," << b.x2 << "," << b.y2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace p = corgi::pipeline;
  std::string text(reinterpret_cast<const char*>(data), size);
  const p::BoxFrame frame =
      size % 2 == 0 ? p::BoxFrame::Relative1000() : p::BoxFrame::ResizedInputPixels(812, 616);
  constexpr int64_t kMaxSteps = 6;
  if (auto r = p::ParseReasoning(text, kMaxSteps, frame); r.ok()) {
    CORGI_CHECK(static_cast<int64_t>(r->steps.size()) <= kMaxSteps);
    for (size_t i = 0; i < r->steps.size(); ++i) {
      CORGI_CHECK(r->steps[i].index == static_cast<int>(i) + 1);
      CORGI_CHECK(!(r->steps[i].need_object && r->steps[i].need_text));
      for (const p::Box& b : r->steps[i].boxes) CheckBox(b);
    }
  }
  if (auto g = p::ParseGrounding(text, frame); g.ok()) {
    for (const p::Box& b : g->boxes) CheckBox(b);
    CORGI_CHECK(g->confidences.size() == g->boxes.size() && g->labels.size() == g->boxes.size());
    for (const auto& c : g->confidences) CORGI_CHECK(!c || (*c >= 0 && *c <= 1));
  }
  if (auto s = p::ParseSynthesis(text, frame); s.ok()) {
    CORGI_CHECK(s->key_evidence.size() <= 3);
    for (const p::KeyEvidence& k : s->key_evidence) CheckBox(k.box);
  }
  if (auto v = p::ExtractJsonValue(text, 0)) CORGI_CHECK(!v->empty());
  for (bool truncation : {false, true}) {
    if (auto r = p::RepairJson(text, 0, p::RepairOptions{truncation})) {
      CORGI_CHECK(!r->json.empty() && (r->json[0] == '{' || r->json[0] == '['));
      CORGI_CHECK(truncation || r->open_at_end.empty());
    }
  }
  p::ThinkStripped t = p::StripThinkBlocks(text);
  CORGI_CHECK(t.text.size() <= text.size());
  return 0;
}
