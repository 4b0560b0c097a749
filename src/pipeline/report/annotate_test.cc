#include <gtest/gtest.h>

#include <string>

#include "corgi/image/draw.h"
#include "corgi/pipeline/report.h"
#include "pipeline/report/annotate.h"
#include "pipeline/report/font.h"

namespace corgi::pipeline {
namespace {

using namespace report_internal;  // NOLINT: colors and style

constexpr uint8_t kGray = 128;

RgbImage Gray(int64_t height, int64_t width) {
  RgbImage img = RgbImage::Make(height, width);
  for (uint8_t& v : img.pixels) v = kGray;
  return img;
}

Rgb At(const RgbImage& img, int64_t x, int64_t y) {
  const uint8_t* p = img.At(y, x);
  return Rgb{p[0], p[1], p[2]};
}

bool IsGray(Rgb c) { return c.r == kGray && c.g == kGray && c.b == kGray; }

Evidence MakeEvidence(int step, Box box, EvidenceKind kind) {
  Evidence e;
  e.step = step;
  e.box = box;
  e.kind = kind;
  e.text = "text";
  return e;
}

// 800x600 gray canvas: object evidence lower left, text evidence right, both well away
// from each other and from the edges so every tag sits above its box.
Result TwoBoxes() {
  Result r;
  r.evidence.push_back(MakeEvidence(1, Box{0.1, 0.4, 0.4, 0.9}, EvidenceKind::kObject));
  r.evidence.push_back(MakeEvidence(2, Box{0.6, 0.3, 0.9, 0.6}, EvidenceKind::kText));
  Step s1, s2;
  s1.index = 1, s1.need_object = true, s1.boxes = {r.evidence[0].box};
  s2.index = 2, s2.need_text = true, s2.boxes = {r.evidence[1].box};
  r.steps = {s1, s2};
  return r;
}

TEST(StyleTest, ScalesWithTheImage) {
  const AnnotationStyle small = StyleForImage(320, 200), big = StyleForImage(3840, 2160);
  EXPECT_EQ(small.line, 2);  // floor of 2
  EXPECT_EQ(big.line, 12);   // 3840 / 320
  EXPECT_EQ(StyleForImage(640, 488).line, 2);
  EXPECT_EQ(StyleForImage(1920, 1080).line, 6);
  EXPECT_GT(big.font_px, small.font_px);
  EXPECT_GT(big.key_line, big.line);
}

TEST(AnnotateTest, ObjectBoxGreenTextBoxRedInteriorUntouched) {
  const RgbImage original = Gray(600, 800);
  StatusOr<RgbImage> out = RenderAnnotatedImage(TwoBoxes(), original, "");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const int line = StyleForImage(800, 600).line;
  // Object box [0.1, 0.4, 0.4, 0.9] -> x 80..320, y 240..540 (floor/ceil of exact values).
  for (int d = 0; d < line; ++d) {
    EXPECT_EQ(At(*out, 80 + d, 400), kObjectColor) << "left edge, d=" << d;
    EXPECT_EQ(At(*out, 319 - d, 400), kObjectColor) << "right edge";
    EXPECT_EQ(At(*out, 200, 539 - d), kObjectColor) << "bottom edge";
    EXPECT_EQ(At(*out, 200, 240 + d), kObjectColor) << "top edge";
  }
  EXPECT_TRUE(IsGray(At(*out, 80 + line, 400))) << "just inside the outline";
  EXPECT_TRUE(IsGray(At(*out, 79, 400))) << "just outside the box";
  EXPECT_TRUE(IsGray(At(*out, 320, 400)));
  // Text box [0.6, 0.3, 0.9, 0.6] -> x 480..720, y 180..360.
  EXPECT_EQ(At(*out, 480, 270), kTextColor);
  EXPECT_EQ(At(*out, 719, 270), kTextColor);
  EXPECT_EQ(At(*out, 600, 359), kTextColor);
  // The whole interior of both boxes is untouched.
  for (int64_t y = 240 + line; y < 540 - line; ++y) {
    for (int64_t x = 80 + line; x < 320 - line; ++x) ASSERT_TRUE(IsGray(At(*out, x, y)));
  }
  for (int64_t y = 180 + line; y < 360 - line; ++y) {
    for (int64_t x = 480 + line; x < 720 - line; ++x) ASSERT_TRUE(IsGray(At(*out, x, y)));
  }
  // Far from every box nothing changed, and the input was not modified.
  EXPECT_TRUE(IsGray(At(*out, 10, 590)));
  EXPECT_TRUE(original.pixels == Gray(600, 800).pixels);
}

// Counts pixels in rows [y0, y1) x columns [x0, x1) equal to `c`, and pixels that are
// neither `c` nor gray (anti-aliased or solid text).
void CountTag(const RgbImage& img, int64_t x0, int64_t x1, int64_t y0, int64_t y1, Rgb c, int* fill,
              int* ink) {
  *fill = *ink = 0;
  for (int64_t y = y0; y < y1; ++y) {
    for (int64_t x = x0; x < x1; ++x) {
      const Rgb p = At(img, x, y);
      if (p == c) {
        ++*fill;
      } else if (!IsGray(p)) {
        ++*ink;
      }
    }
  }
}

TEST(AnnotateTest, LabelsAreDrawnInFilledTagsAboveTheBoxes) {
  StatusOr<RgbImage> out = RenderAnnotatedImage(TwoBoxes(), Gray(600, 800), "");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const AnnotationStyle style = StyleForImage(800, 600);
  const int tag_h = style.font_px * 2;  // generous: ascent + descent + pad is below this
  int fill = 0, ink = 0;
  // Object tag "S1:O": above the object box's top-left corner (x 80, y 240).
  CountTag(*out, 80, 80 + 4 * style.font_px, 240 - tag_h, 240, kObjectColor, &fill, &ink);
  EXPECT_GT(fill, 100) << "green tag fill";
  EXPECT_GT(ink, 20) << "dark label pixels";
  int dark = 0;
  for (int64_t y = 240 - tag_h; y < 240; ++y) {
    for (int64_t x = 80; x < 80 + 4 * style.font_px; ++x) {
      const Rgb p = At(*out, x, y);
      if (p.r < 60 && p.g < 90 && p.b < 60) ++dark;
    }
  }
  EXPECT_GT(dark, 10) << "black glyph cores on green";
  // Text tag "S2:T": white text on red above (480, 180).
  CountTag(*out, 480, 480 + 4 * style.font_px, 180 - tag_h, 180, kTextColor, &fill, &ink);
  EXPECT_GT(fill, 100);
  int light = 0;
  for (int64_t y = 180 - tag_h; y < 180; ++y) {
    for (int64_t x = 480; x < 480 + 4 * style.font_px; ++x) {
      const Rgb p = At(*out, x, y);
      if (p.r > 240 && p.g > 200 && p.b > 200) ++light;
    }
  }
  EXPECT_GT(light, 10) << "white glyph cores on red";
}

TEST(AnnotateTest, KeyEvidenceIsFilledAndOutlinedOutsideTheBox) {
  Result r = TwoBoxes();
  r.key_evidence.push_back(KeyEvidence{r.evidence[1].box, "the sign", "it says so"});
  StatusOr<RgbImage> out = RenderAnnotatedImage(r, Gray(600, 800), "");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const AnnotationStyle style = StyleForImage(800, 600);
  // Interior of the text box: gray 128 under yellow at alpha 64:
  // (255*64 + 128*191 + 127) / 255 = 160, (210*64 + 128*191 + 127) / 255 = 149, 96.
  EXPECT_EQ(At(*out, 600, 270), (Rgb{160, 149, 96}));
  // The red evidence outline is still there, the yellow one is just outside it.
  EXPECT_EQ(At(*out, 480, 270), kTextColor);
  EXPECT_EQ(At(*out, 479, 270), kKeyColor);
  EXPECT_EQ(At(*out, 480 - style.key_line, 270), kKeyColor);
  EXPECT_TRUE(IsGray(At(*out, 479 - style.key_line, 270)));
  EXPECT_EQ(At(*out, 720 + style.key_line - 1, 270), kKeyColor);
  // The unhighlighted object box keeps an untouched interior.
  EXPECT_TRUE(IsGray(At(*out, 200, 400)));
  // A "K1" tag in yellow exists somewhere above the box.
  int yellow = 0;
  for (int64_t y = 0; y < 180; ++y) {
    for (int64_t x = 440; x < 800; ++x) yellow += At(*out, x, y) == kKeyColor;
  }
  EXPECT_GT(yellow, 100);
}

TEST(AnnotateTest, StepBoxWithoutEvidenceIsNeutral) {
  Result r = TwoBoxes();
  Step s3;
  s3.index = 3, s3.need_object = true, s3.boxes = {Box{0.45, 0.05, 0.55, 0.2}};
  r.steps.push_back(s3);  // grounding gave a box but no evidence was extracted
  StatusOr<RgbImage> out = RenderAnnotatedImage(r, Gray(600, 800), "");
  ASSERT_TRUE(out.ok());
  // [0.45, 0.05, 0.55, 0.2] -> x 360..441, y 30..120: 0.55 * 800 is 440.00000000000006
  // in doubles and rounds outward to 441, exactly as CropNormalized cuts the crop.
  EXPECT_EQ(At(*out, 360, 100), kNeutralColor);
  EXPECT_EQ(At(*out, 440, 100), kNeutralColor);
  EXPECT_TRUE(IsGray(At(*out, 441, 100)));
  EXPECT_TRUE(IsGray(At(*out, 400, 100)));
}

// Counts pixels of color `c` in the band of rows just above y_top.
int CountAbove(const RgbImage& img, int64_t y_top, int64_t band, Rgb c) {
  int n = 0;
  for (int64_t y = y_top - band; y < y_top; ++y) {
    for (int64_t x = 0; x < img.width; ++x) n += At(img, x, y) == c;
  }
  return n;
}

TEST(AnnotateTest, StepSharingAnotherStepsEvidenceGetsItsOwnTag) {
  Result r = TwoBoxes();
  StatusOr<RgbImage> alone = RenderAnnotatedImage(r, Gray(600, 800), "");
  Step s3;  // the same region and kind as step 2: its evidence was extracted once
  s3.index = 3, s3.need_text = true, s3.boxes = {r.evidence[1].box};
  r.steps.push_back(s3);
  StatusOr<RgbImage> shared = RenderAnnotatedImage(r, Gray(600, 800), "");
  ASSERT_TRUE(alone.ok() && shared.ok());
  const int band = StyleForImage(800, 600).font_px * 2;
  const int one = CountAbove(*alone, 180, band, kTextColor);
  const int two = CountAbove(*shared, 180, band, kTextColor);
  EXPECT_GT(two, one * 3 / 2) << "a second red tag (S3:T) beside S2:T";
  // No extra outline: the box interior and border are as before.
  EXPECT_EQ(At(*shared, 480, 270), kTextColor);
  EXPECT_TRUE(IsGray(At(*shared, 600, 270)));
}

TEST(AnnotateTest, BoxAtTheTopEdgeGetsItsTagInside) {
  Result r;
  r.evidence.push_back(MakeEvidence(1, Box{0.0, 0.0, 0.5, 0.5}, EvidenceKind::kObject));
  StatusOr<RgbImage> out = RenderAnnotatedImage(r, Gray(400, 400), "");
  ASSERT_TRUE(out.ok());
  // The tag covers the top-left corner inside the box: green fill and dark glyph pixels.
  int fill = 0, ink = 0;
  const AnnotationStyle style = StyleForImage(400, 400);
  CountTag(*out, 0, 4 * style.font_px, 0, style.font_px, kObjectColor, &fill, &ink);
  EXPECT_GT(fill, 50);
  EXPECT_GT(ink, 10);
}

TEST(AnnotateTest, ErrorsAreStatuses) {
  StatusOr<RgbImage> missing =
      RenderAnnotatedImage(TwoBoxes(), Gray(10, 10), "/nonexistent/font.ttf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("fonts-dejavu-core"), std::string::npos)
      << missing.status().message();
  StatusOr<RgbImage> empty = RenderAnnotatedImage(TwoBoxes(), RgbImage(), "");
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  // A file that is not a font.
  StatusOr<RgbImage> bad =
      RenderAnnotatedImage(TwoBoxes(), Gray(10, 10), CORGI_SOURCE_DIR "/CMakeLists.txt");
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
}

TEST(FontTest, MeasuresAndDrawsAntiAliasedGlyphs) {
  StatusOr<std::unique_ptr<Font>> font = Font::Open("");
  ASSERT_TRUE(font.ok()) << font.status().ToString();
  const TextExtent a = (*font)->Measure("S1:O", 20), b = (*font)->Measure("S1:O S2:T", 20);
  EXPECT_GT(a.width, 20);
  EXPECT_GT(b.width, a.width);
  EXPECT_GT(a.ascent, 10);  // DejaVu's ascender is ~0.93 em
  EXPECT_GT(a.descent, 0);
  EXPECT_EQ((*font)->Measure("", 20).width, 0);
  EXPECT_GT((*font)->Measure("\xFF\xFE", 20).width, 0);  // invalid UTF-8: replacement glyphs
  RgbImage img = RgbImage::Make(40, 80);
  (*font)->Draw(&img, 2, 2 + a.ascent, "S1:O", 20, Rgb{255, 255, 255});
  int full = 0, partial = 0;
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    full += img.pixels[i] == 255;
    partial += img.pixels[i] > 0 && img.pixels[i] < 255;
  }
  EXPECT_GT(full, 20);
  EXPECT_GT(partial, 10) << "anti-aliased edges";
  (*font)->Draw(&img, -500, -500, "clipped", 20, Rgb{1, 2, 3});  // no crash off-image
}

}  // namespace
}  // namespace corgi::pipeline
