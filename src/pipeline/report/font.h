// Text for annotated images: a TrueType font rasterized by FreeType, anti-aliased glyph
// coverage alpha-blended onto an RgbImage with the image layer's BlendPixel. Only the
// report uses it (the image layer stays free of fonts).
//
//   CORGI_ASSIGN_OR_RETURN(std::unique_ptr<Font> font, Font::Open(""));
//   TextExtent e = font->Measure("S1:O", 18);
//   font->Draw(&img, x, y + e.ascent, "S1:O", 18, Rgb{255, 255, 255});
//
// A Font owns its FreeType library and face. FreeType objects are not thread-safe, so a
// Font must be used from one thread at a time; open one per thread (or per call).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "corgi/core/status.h"
#include "corgi/image/draw.h"
#include "corgi/image/image.h"

namespace corgi::pipeline::report_internal {

// DejaVu Sans as installed by Debian's fonts-dejavu-core.
inline constexpr char kDefaultFontPath[] = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// Pixel metrics of a line of text at one size. The line box is ascent + descent tall,
// with the baseline `ascent` pixels below its top.
struct TextExtent {
  int width = 0;    // advance width of the whole string
  int ascent = 0;   // font ascender, pixels above the baseline
  int descent = 0;  // font descender, pixels below the baseline (positive)
  int height() const { return ascent + descent; }
};

class Font {
 public:
  // Loads the font at `path` (empty: kDefaultFontPath). Errors: FailedPrecondition when
  // the file is missing or unreadable (the message names the Debian package
  // fonts-dejavu-core) or FreeType cannot open it as a font.
  static StatusOr<std::unique_ptr<Font>> Open(const std::string& path);

  ~Font();
  Font(const Font&) = delete;
  Font& operator=(const Font&) = delete;

  // Measures UTF-8 `text` at `pixel_size` (em height in pixels, >= 1). Invalid UTF-8
  // bytes count as U+FFFD; characters the font lacks use its .notdef glyph.
  TextExtent Measure(std::string_view text, int pixel_size);

  // Draws `text` with its baseline at row `baseline_y`, starting at column `x`, blending
  // glyph coverage in `color`. Pixels outside the image are skipped.
  void Draw(RgbImage* image, int64_t x, int64_t baseline_y, std::string_view text, int pixel_size,
            Rgb color);

 private:
  struct Impl;
  explicit Font(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corgi::pipeline::report_internal
