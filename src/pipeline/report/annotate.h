// The annotated image's visual language, shared by RenderAnnotatedImage (annotate.cc),
// the HTML legend (html.cc) and the tests.
//
// What is drawn, bottom to top:
//   1. key evidence: a translucent yellow fill inside the box;
//   2. step boxes that produced no evidence item: a neutral blue outline, tag "S{n}";
//   3. evidence boxes: green outline for object evidence (tag "S{n}:O"), red for text
//      evidence ("S{n}:T");
//   4. key evidence outlines: yellow, drawn just outside the box so that an evidence box
//      with the same region stays visible inside it; tag "K{n}";
//   5. every tag last, so no line crosses a label.
// Boxes become pixels with NormalizedToPixelRect (image layer): outward rounding, the
// same pixels CropNormalized cuts, so a drawn box frames exactly its crop. Outlines grow
// inward from that rectangle; nothing inside the outline is touched except by the
// key-evidence fill.
// A tag is a filled rectangle in the box color holding the label, placed above the box's
// top-left corner, or just inside the top edge when there is no room above; tags that
// would overlap an earlier tag slide right (then down).
#pragma once

#include <cstdint>
#include <string>

#include "corgi/image/draw.h"

namespace corgi::pipeline::report_internal {

inline constexpr Rgb kObjectColor{0, 200, 0};      // green
inline constexpr Rgb kTextColor{230, 0, 0};        // red
inline constexpr Rgb kNeutralColor{40, 110, 230};  // blue: a step box with no evidence
inline constexpr Rgb kKeyColor{255, 210, 0};       // yellow
inline constexpr uint8_t kKeyFillAlpha = 64;       // of 255
inline constexpr Rgb kDarkText{0, 0, 0};           // on green and yellow tags
inline constexpr Rgb kLightText{255, 255, 255};    // on red and blue tags

// Line widths and label size for an image, scaled with its longer side so the marks
// look the same on a thumbnail and on a 4K photo.
struct AnnotationStyle {
  int line = 2;      // outline thickness, pixels
  int key_line = 3;  // key-evidence outline thickness
  int font_px = 12;  // label em size, pixels
  int pad = 3;       // tag padding around the label, pixels
};

// line = clamp(round(long_side / 320), 2, 16); key_line = line + max(1, line / 2);
// font_px = clamp(round(long_side / 42), 11, 64); pad = max(2, font_px / 5).
AnnotationStyle StyleForImage(int64_t width, int64_t height);

// A tag's text: TagLabel('S', 2, ":T") == "S2:T", TagLabel('K', 1) == "K1".
std::string TagLabel(char prefix, int64_t n, const char* suffix = "");

}  // namespace corgi::pipeline::report_internal
