// RenderAnnotatedImage: see annotate.h for what is drawn and in which order.
#include "pipeline/report/annotate.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "corgi/pipeline/report.h"
#include "pipeline/report/font.h"

namespace corgi::pipeline {

using report_internal::AnnotationStyle;
using report_internal::Font;
using report_internal::TextExtent;

namespace report_internal {

AnnotationStyle StyleForImage(int64_t width, int64_t height) {
  const double long_side = static_cast<double>(std::max<int64_t>({width, height, 1}));
  AnnotationStyle s;
  s.line = std::clamp(static_cast<int>(std::lround(long_side / 320.0)), 2, 16);
  s.key_line = s.line + std::max(1, s.line / 2);
  s.font_px = std::clamp(static_cast<int>(std::lround(long_side / 42.0)), 11, 64);
  s.pad = std::max(2, s.font_px / 5);
  return s;
}

std::string TagLabel(char prefix, int64_t n, const char* suffix) {
  // Built by appending: GCC 12 warns (-Wrestrict, a false positive) on "S" + to_string().
  std::string label(1, prefix);
  label += std::to_string(n);
  label += suffix;
  return label;
}

}  // namespace report_internal

namespace {

using report_internal::kKeyColor;

// A label waiting to be placed: it belongs to `anchor` (the box's pixel rectangle).
struct Tag {
  PixelRect anchor;
  Rgb fill;
  Rgb ink;
  std::string label;
};

bool Overlaps(const PixelRect& a, const PixelRect& b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

PixelRect ToPixels(const Box& b, const RgbImage& image) {
  return NormalizedToPixelRect({b.x1, b.y1, b.x2, b.y2}, image.width, image.height);
}

bool SameRegion(const Box& a, const Box& b) {
  return a.x1 == b.x1 && a.y1 == b.y1 && a.x2 == b.x2 && a.y2 == b.y2;
}

// Where a w x h tag for `anchor` goes: above its top-left corner, or inside the top edge
// when there is no room above; slid right past earlier tags, then down a row, so labels
// of boxes that share a corner stay readable. Overlap is accepted only when the image
// has no free spot along that path.
PixelRect PlaceTag(const PixelRect& anchor, int64_t w, int64_t h, const RgbImage& image,
                   const std::vector<PixelRect>& placed) {
  const int64_t max_x = std::max<int64_t>(0, image.width - w);
  const int64_t max_y = std::max<int64_t>(0, image.height - h);
  const int64_t start_x = std::clamp<int64_t>(anchor.x0, 0, max_x);
  int64_t y = anchor.y0 - h >= 0 ? anchor.y0 - h : std::clamp<int64_t>(anchor.y0, 0, max_y);
  int64_t x = start_x;
  for (int attempt = 0; attempt < 256; ++attempt) {
    const PixelRect candidate{x, y, x + w, y + h};
    auto hit = std::find_if(placed.begin(), placed.end(),
                            [&](const PixelRect& p) { return Overlaps(p, candidate); });
    if (hit == placed.end()) return candidate;
    x = hit->x1;
    if (x > max_x) {  // no room to the right: next row down, back at the box's left
      x = start_x;
      y += h;
      if (y > max_y) break;
    }
  }
  return PixelRect{start_x, std::clamp<int64_t>(anchor.y0 - h, 0, max_y), start_x + w,
                   std::clamp<int64_t>(anchor.y0 - h, 0, max_y) + h};
}

void DrawTags(RgbImage* image, Font* font, const AnnotationStyle& style,
              const std::vector<Tag>& tags) {
  std::vector<PixelRect> placed;
  for (const Tag& tag : tags) {
    const TextExtent e = font->Measure(tag.label, style.font_px);
    const int64_t w = e.width + 2 * style.pad;
    const int64_t h = e.height() + style.pad;  // the font's line box already has leading
    const PixelRect r = PlaceTag(tag.anchor, w, h, *image, placed);
    FillRectangle(image, r, tag.fill);
    font->Draw(image, r.x0 + style.pad, r.y0 + style.pad / 2 + e.ascent, tag.label, style.font_px,
               tag.ink);
    placed.push_back(r);
  }
}

// Step boxes without an evidence item of their own. A box that another step's evidence
// already covers (identical region and kind, extracted once) gets only a tag there, in
// `shared_tags` so that it follows the evidence's own tag.
void DrawStepBoxes(RgbImage* image, const Result& result, const AnnotationStyle& style,
                   std::vector<Tag>* tags, std::vector<Tag>* shared_tags) {
  using namespace report_internal;  // NOLINT: the color constants
  for (const Step& step : result.steps) {
    for (const Box& box : step.boxes) {
      const Evidence* own = nullptr;
      const Evidence* shared = nullptr;
      for (const Evidence& ev : result.evidence) {
        if (!SameRegion(ev.box, box)) continue;
        if (ev.step == step.index) own = &ev;
        const bool kind_matches = (ev.kind == EvidenceKind::kText) == step.need_text;
        if (kind_matches && (step.need_object || step.need_text)) shared = &ev;
      }
      if (own != nullptr) continue;  // drawn with the evidence
      const PixelRect r = ToPixels(box, *image);
      if (shared != nullptr) {
        const bool text = shared->kind == EvidenceKind::kText;
        shared_tags->push_back({r, text ? kTextColor : kObjectColor, text ? kLightText : kDarkText,
                                TagLabel('S', step.index, text ? ":T" : ":O")});
        continue;
      }
      DrawRectangle(image, r, kNeutralColor, style.line);
      tags->push_back({r, kNeutralColor, kLightText, TagLabel('S', step.index)});
    }
  }
}

}  // namespace

StatusOr<RgbImage> RenderAnnotatedImage(const Result& result, const RgbImage& original,
                                        const std::string& font_path) {
  using namespace report_internal;  // NOLINT: the color constants
  if (original.empty() ||
      original.pixels.size() != static_cast<size_t>(original.width * original.height * 3)) {
    return InvalidArgumentError("annotated image: the original image is empty or inconsistent (" +
                                std::to_string(original.width) + "x" +
                                std::to_string(original.height) + ")");
  }
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Font> font, Font::Open(font_path));
  RgbImage out = original;
  const AnnotationStyle style = StyleForImage(out.width, out.height);
  std::vector<Tag> tags, shared_tags;

  for (const KeyEvidence& key : result.key_evidence) {
    FillRectangle(&out, ToPixels(key.box, out), kKeyColor, kKeyFillAlpha);
  }
  DrawStepBoxes(&out, result, style, &tags, &shared_tags);
  for (const Evidence& ev : result.evidence) {
    const bool text = ev.kind == EvidenceKind::kText;
    const PixelRect r = ToPixels(ev.box, out);
    DrawRectangle(&out, r, text ? kTextColor : kObjectColor, style.line);
    tags.push_back({r, text ? kTextColor : kObjectColor, text ? kLightText : kDarkText,
                    TagLabel('S', ev.step, text ? ":T" : ":O")});
  }
  tags.insert(tags.end(), shared_tags.begin(), shared_tags.end());
  for (size_t i = 0; i < result.key_evidence.size(); ++i) {
    const PixelRect box = ToPixels(result.key_evidence[i].box, out);
    const int64_t k = style.key_line;
    // Outside the box so an evidence outline on the same region stays visible; clipped
    // first so the highlight never vanishes off a box that touches the image edge.
    const PixelRect ring = ClipToImage({box.x0 - k, box.y0 - k, box.x1 + k, box.y1 + k}, out);
    DrawRectangle(&out, ring, kKeyColor, style.key_line);
    // Anchored at the box itself so "K1" lines up beside an "S1:T" on the same region
    // (it covers part of the ring, in the ring's own color).
    tags.push_back({box, kKeyColor, kDarkText, TagLabel('K', static_cast<int64_t>(i) + 1)});
  }
  DrawTags(&out, font.get(), style, tags);
  return out;
}

}  // namespace corgi::pipeline
