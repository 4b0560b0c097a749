// The report page, section by section. Layout: header, error banner, question and
// answer, then two columns on wide screens (images and key evidence | chain of thought,
// steps, evidence), then timings and counts.
#include "pipeline/report/html.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "corgi/image/decode.h"
#include "pipeline/report/annotate.h"

namespace corgi::pipeline::report_internal {
namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string BoxText(const Box& b) {
  return "[" + Fixed(b.x1, 3) + ", " + Fixed(b.y1, 3) + ", " + Fixed(b.x2, 3) + ", " +
         Fixed(b.y2, 3) + "]";
}

// The box in pixels of the original image, the same rounding as the annotated image.
std::string PixelBoxText(const Box& b, const Result& r) {
  if (r.image_width <= 0 || r.image_height <= 0) return "";
  const PixelRect p =
      NormalizedToPixelRect({b.x1, b.y1, b.x2, b.y2}, r.image_width, r.image_height);
  return "x " + std::to_string(p.x0) + "–" + std::to_string(p.x1) + ", y " + std::to_string(p.y0) +
         "–" + std::to_string(p.y1) + " px";
}

std::string CssColor(Rgb c) {
  return "rgb(" + std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + ")";
}

const char* StepType(const Step& s) {
  if (s.need_text) return "text";
  if (s.need_object) return "object";
  return "reasoning";
}

const char* SourceText(BoxSource source) {
  switch (source) {
    case BoxSource::kReasoning:
      return "from the reasoning call";
    case BoxSource::kGrounding:
      return "from fallback grounding";
    case BoxSource::kWholeImage:
      return "whole image (grounding found no region)";
    case BoxSource::kNone:
      return "no region";
  }
  return "no region";
}

// Escaped text, or a muted placeholder saying it is empty (never "None"/"null").
std::string TextOr(const std::string& text, const char* empty_note) {
  if (text.empty()) return std::string("<span class=\"muted\">") + empty_note + "</span>";
  return HtmlEscape(text);
}

std::string Img(const std::string& bytes, const std::string& alt, const char* cls) {
  return "<img class=\"" + std::string(cls) + "\" alt=\"" + HtmlEscape(alt) + "\" src=\"" +
         ImageDataUri(bytes) + "\">";
}

// A crop at least three times wider than tall (a line of text) reads better above its
// text at full width than as a 150-pixel thumbnail.
bool IsWide(const std::string& image_bytes) {
  if (image_bytes.empty()) return false;
  StatusOr<ImageInfo> info = ReadImageInfo(image_bytes);
  return info.ok() && info->width >= 3 * info->height;
}

void AppendHead(const Result& r, std::string* out) {
  std::string title = r.question.substr(0, 80);
  *out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  *out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  *out += "<title>corgi report — " + HtmlEscape(title) + "</title>\n<style>\n";
  *out += kReportCss;
  *out += "</style>\n</head>\n<body>\n<main class=\"page\">\n";
  *out += "<header class=\"top\"><div class=\"brand\">corgi <span>CoRGI report</span></div>";
  *out += "<p class=\"meta\">";
  if (!r.model.empty()) *out += "<span><b>model</b> " + HtmlEscape(r.model) + "</span>";
  if (!r.image_path.empty()) *out += "<span><b>image</b> " + HtmlEscape(r.image_path) + "</span>";
  if (r.image_width > 0) {
    *out += "<span><b>size</b> " + std::to_string(r.image_width) + " × " +
            std::to_string(r.image_height) + "</span>";
  }
  *out += "</p></header>\n";
}

void AppendErrorAndWarnings(const Result& r, std::string* out) {
  if (r.error.has_value()) {
    *out += "<section class=\"error\" role=\"alert\"><h2>The query failed</h2><p>" +
            TextOr(*r.error, "(no message)") + "</p></section>\n";
  }
  if (!r.warnings.empty()) {
    *out += "<section class=\"warnings\"><h2>Warnings</h2><ul>";
    for (const std::string& w : r.warnings) *out += "<li>" + HtmlEscape(w) + "</li>";
    *out += "</ul></section>\n";
  }
}

void AppendQuestionAndAnswer(const Result& r, std::string* out) {
  *out += "<section class=\"qa\">\n<p class=\"label\">Question</p>\n<h1 class=\"question\">" +
          TextOr(r.question, "(no question)") + "</h1>\n";
  *out += "<div class=\"answer\"><p class=\"label\">Answer</p><p class=\"answer-text\">" +
          TextOr(r.answer, r.error ? "(no answer: the query failed)" : "(no answer)") + "</p>";
  if (!r.explanation.empty()) {
    *out += "<p class=\"explanation\">" + HtmlEscape(r.explanation) + "</p>";
  }
  *out += "</div>\n</section>\n";
}

void AppendLegend(std::string* out) {
  const auto item = [&](Rgb c, const char* tag, const char* what) {
    *out += "<li><span class=\"swatch\" style=\"border-color:" + CssColor(c) + "\"></span><b>" +
            tag + "</b> " + what + "</li>";
  };
  *out += "<ul class=\"legend\">";
  item(kObjectColor, "S<i>n</i>:O", "object evidence");
  item(kTextColor, "S<i>n</i>:T", "text evidence");
  item(kNeutralColor, "S<i>n</i>", "step region without evidence");
  item(kKeyColor, "K<i>n</i>", "key evidence");
  *out += "</ul>";
}

void AppendImages(const Result& r, const ReportImages& images, std::string* out) {
  *out += "<section class=\"card\"><h2>Annotated image</h2><figure>";
  if (!images.annotated.empty()) {
    *out += Img(images.annotated, "annotated image", "annotated");
  } else {
    *out += "<p class=\"muted\">" + TextOr(images.annotated_note, "(not available)") + "</p>";
  }
  *out += "<figcaption>";
  AppendLegend(out);
  *out += "</figcaption></figure>";
  if (!images.original.empty()) {
    *out += "<details><summary>Original image</summary>" +
            Img(images.original, "original image", "original") + "</details>";
  }
  *out += "</section>\n";
}

void AppendKeyEvidence(const Result& r, const ReportImages& images, std::string* out) {
  *out += "<section class=\"card\"><h2>Key evidence</h2>";
  if (r.key_evidence.empty()) *out += "<p class=\"muted\">The model named no key evidence.</p>";
  for (size_t i = 0; i < r.key_evidence.size(); ++i) {
    const KeyEvidence& k = r.key_evidence[i];
    const bool has_crop = i < images.key_crops.size() && !images.key_crops[i].empty();
    *out += IsWide(has_crop ? images.key_crops[i] : "") ? "<article class=\"key wide\">"
                                                        : "<article class=\"key\">";
    if (has_crop) {
      *out += Img(images.key_crops[i], "key evidence " + std::to_string(i + 1), "thumb");
    }
    *out += "<div><p><span class=\"tag tag-key\">K" + std::to_string(i + 1) + "</span> <b>" +
            TextOr(k.description, "(no description)") + "</b></p>";
    if (!k.reasoning.empty()) *out += "<p>" + HtmlEscape(k.reasoning) + "</p>";
    *out += "<p class=\"box\">" + BoxText(k.box) + " · " + PixelBoxText(k.box, r) +
            "</p></div></article>";
  }
  *out += "</section>\n";
}

void AppendChainOfThought(const Result& r, std::string* out) {
  *out +=
      "<section class=\"card\"><details class=\"cot\" open><summary><h2>Chain of thought"
      "</h2></summary><div class=\"prose\">" +
      TextOr(r.chain_of_thought, "(the model wrote no chain of thought)") +
      "</div></details></section>\n";
}

void AppendSteps(const Result& r, std::string* out) {
  *out += "<section class=\"card\"><h2>Steps <span class=\"count\">" +
          std::to_string(r.steps.size()) + "</span></h2>";
  if (r.steps.empty()) *out += "<p class=\"muted\">No steps.</p>";
  for (const Step& s : r.steps) {
    const char* type = StepType(s);
    *out += "<article class=\"step\" id=\"step-" + std::to_string(s.index) + "\">";
    *out += "<div class=\"num\">" + std::to_string(s.index) + "</div><div class=\"body\">";
    *out += "<p class=\"statement\">" + TextOr(s.statement, "(no statement)") + "</p>";
    if (!s.reason.empty()) *out += "<p class=\"reason\">" + HtmlEscape(s.reason) + "</p>";
    *out += "<p class=\"chips\"><span class=\"chip chip-" + std::string(type) + "\">" + type +
            "</span>";
    for (const Box& b : s.boxes) {
      *out += "<span class=\"chip mono\" title=\"" + PixelBoxText(b, r) + "\">" + BoxText(b) +
              "</span>";
    }
    *out +=
        "<span class=\"chip chip-source\">" + std::string(SourceText(s.box_source)) + "</span></p>";
    for (const std::string& w : s.warnings) {
      *out += "<p class=\"warn\">⚠ " + HtmlEscape(w) + "</p>";
    }
    *out += "</div></article>";
  }
  *out += "</section>\n";
}

void AppendEvidence(const Result& r, const ReportImages& images, std::string* out) {
  *out += "<section class=\"card\"><h2>Evidence <span class=\"count\">" +
          std::to_string(r.evidence.size()) + "</span></h2>";
  if (r.evidence.empty()) *out += "<p class=\"muted\">No evidence was extracted.</p>";
  for (size_t i = 0; i < r.evidence.size(); ++i) {
    const Evidence& e = r.evidence[i];
    const bool text = e.kind == EvidenceKind::kText;
    const std::string tag = TagLabel('S', e.step, text ? ":T" : ":O");
    const bool has_crop = i < images.crops.size() && !images.crops[i].empty();
    *out += IsWide(has_crop ? images.crops[i] : "") ? "<article class=\"evidence wide\">"
                                                    : "<article class=\"evidence\">";
    *out += "<div class=\"crop\">";
    if (has_crop) {
      *out += Img(images.crops[i], "crop for " + tag, "thumb");
    } else {
      const std::string note = i < images.crop_notes.size() ? images.crop_notes[i] : "";
      *out += "<p class=\"muted small\">" + TextOr(note, "no crop written") + "</p>";
    }
    *out += "</div><div class=\"body\"><p class=\"chips\"><span class=\"tag tag-" +
            std::string(text ? "text" : "object") + "\">" + tag + "</span>";
    *out += "<a class=\"chip\" href=\"#step-" + std::to_string(e.step) + "\">step " +
            std::to_string(e.step) + "</a><span class=\"chip\">" + (text ? "text" : "object") +
            "</span><span class=\"chip\">" + TextOr(e.engine, "unknown engine") + "</span>";
    if (e.confidence.has_value()) {
      *out += "<span class=\"chip\">confidence " + Fixed(*e.confidence * 100.0, 0) + "%</span>";
    }
    *out += "<span class=\"chip\">" + Fixed(e.ms, 1) + " ms</span></p>";
    *out += "<div class=\"evidence-text\">" +
            (e.error ? "<span class=\"muted\">extraction failed: " + HtmlEscape(*e.error) + "</span>"
                     : TextOr(e.text, text ? "(OCR found no text)" : "(empty caption)")) +
            "</div>";
    *out += "<p class=\"box\">" + BoxText(e.box) + " · " + PixelBoxText(e.box, r) + "</p>";
    *out += "</div></article>";
  }
  *out += "</section>\n";
}

void AppendStats(const Result& r, std::string* out) {
  double longest = 0;
  for (const PhaseTiming& t : r.timings) longest = std::max(longest, t.ms);
  *out += "<section class=\"card stats\"><div><h2>Timings</h2><table class=\"timings\">";
  if (r.timings.empty()) *out += "<tr><td class=\"muted\">not recorded</td></tr>";
  for (const PhaseTiming& t : r.timings) {
    const double pct = longest > 0 ? 100.0 * t.ms / longest : 0;
    *out += "<tr><th>" + HtmlEscape(t.phase) +
            "</th><td class=\"bar\"><span style=\"width:" + Fixed(pct, 1) +
            "%\"></span></td><td class=\"num\">" + Fixed(t.ms, 1) + " ms</td></tr>";
  }
  *out += "</table></div><div><h2>Counts</h2><dl class=\"counts\">";
  const Counts& c = r.counts;
  const std::pair<const char*, int64_t> rows[] = {
      {"steps", c.steps},
      {"steps with boxes from reasoning", c.steps_with_boxes_from_reasoning},
      {"fallback groundings", c.fallback_groundings},
      {"object evidence", c.object_evidence},
      {"text evidence", c.text_evidence},
      {"model calls", c.model_calls},
      {"tokens generated", c.tokens_generated},
      {"images from cache", c.images_from_cache},
      {"prefix tokens reused", c.prefix_tokens_reused}};
  for (const auto& [name, value] : rows) {
    *out += "<dt>" + std::string(name) + "</dt><dd>" + std::to_string(value) + "</dd>";
  }
  *out += "</dl></div></section>\n";
}

}  // namespace

std::string BuildReportHtml(const Result& result, const ReportImages& images) {
  std::string out;
  out.reserve(64 * 1024 + images.annotated.size() * 4 / 3 + images.original.size() * 4 / 3);
  AppendHead(result, &out);
  AppendErrorAndWarnings(result, &out);
  AppendQuestionAndAnswer(result, &out);
  out += "<div class=\"columns\">\n<div class=\"col\">\n";
  AppendImages(result, images, &out);
  AppendKeyEvidence(result, images, &out);
  out += "</div>\n<div class=\"col\">\n";
  AppendChainOfThought(result, &out);
  AppendSteps(result, &out);
  AppendEvidence(result, images, &out);
  out += "</div>\n</div>\n";
  AppendStats(result, &out);
  out += "<footer>Generated by corgi. Self-contained: every image is embedded.</footer>\n";
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace corgi::pipeline::report_internal
