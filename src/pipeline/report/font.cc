#include "pipeline/report/font.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <system_error>
#include <utility>

namespace corgi::pipeline::report_internal {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point from `text` at `*pos` and advances; malformed sequences
// (bad lead, bad continuation, overlong, surrogate, > U+10FFFF) yield U+FFFD for one byte.
char32_t NextCodePoint(std::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(*pos);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++*pos;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07;
  } else {
    ++*pos;
    return kReplacement;
  }
  if (*pos + extra >= text.size()) {  // truncated sequence
    ++*pos;
    return kReplacement;
  }
  for (int i = 1; i <= extra; ++i) {
    if ((byte(*pos + i) & 0xC0) != 0x80) {
      ++*pos;
      return kReplacement;
    }
    cp = (cp << 6) | (byte(*pos + i) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*pos;
    return kReplacement;
  }
  *pos += extra + 1;
  return cp;
}

}  // namespace

struct Font::Impl {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  int pixel_size = 0;

  ~Impl() {
    if (face != nullptr) FT_Done_Face(face);
    if (library != nullptr) FT_Done_FreeType(library);
  }

  void SetSize(int px) {
    px = std::max(px, 1);
    if (px == pixel_size) return;
    // A scalable TrueType face accepts any size; failure leaves the previous size.
    if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(px)) == 0) pixel_size = px;
  }

  // Lays out `text`, calling `on_glyph(pen_x_26_6)` with each glyph loaded in the face's
  // slot (rendered if `render`). Returns the final pen position in 26.6 fixed point.
  FT_Pos Layout(std::string_view text, bool render, const std::function<void(FT_Pos)>& on_glyph) {
    const bool kerning = FT_HAS_KERNING(face);
    FT_UInt previous = 0;
    FT_Pos pen = 0;
    for (size_t pos = 0; pos < text.size();) {
      const FT_UInt glyph = FT_Get_Char_Index(face, NextCodePoint(text, &pos));
      if (kerning && previous != 0 && glyph != 0) {
        FT_Vector delta;
        if (FT_Get_Kerning(face, previous, glyph, FT_KERNING_DEFAULT, &delta) == 0) pen += delta.x;
      }
      const FT_Int32 flags = FT_LOAD_TARGET_LIGHT | (render ? FT_LOAD_RENDER : 0);
      if (FT_Load_Glyph(face, glyph, flags) != 0) continue;  // skip a glyph FreeType refuses
      on_glyph(pen);
      pen += face->glyph->advance.x;
      previous = glyph;
    }
    return pen;
  }
};

Font::Font(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Font::~Font() = default;

StatusOr<std::unique_ptr<Font>> Font::Open(const std::string& path) {
  const std::string file = path.empty() ? std::string(kDefaultFontPath) : path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return FailedPreconditionError("font not found: " + file +
                                   " (the annotated image needs DejaVu Sans: install the Debian "
                                   "package fonts-dejavu-core, or pass another .ttf path)");
  }
  auto impl = std::make_unique<Impl>();
  if (FT_Error e = FT_Init_FreeType(&impl->library); e != 0) {
    impl->library = nullptr;
    return FailedPreconditionError("FreeType failed to initialize (error " + std::to_string(e) +
                                   ")");
  }
  if (FT_Error e = FT_New_Face(impl->library, file.c_str(), 0, &impl->face); e != 0) {
    impl->face = nullptr;
    return FailedPreconditionError(
        "cannot load font " + file + " (FreeType error " + std::to_string(e) +
        "); DejaVu Sans comes with the Debian package fonts-dejavu-core");
  }
  return std::unique_ptr<Font>(new Font(std::move(impl)));
}

TextExtent Font::Measure(std::string_view text, int pixel_size) {
  impl_->SetSize(pixel_size);
  TextExtent e;
  const FT_Size_Metrics& m = impl_->face->size->metrics;
  e.ascent = static_cast<int>((m.ascender + 63) >> 6);
  e.descent = static_cast<int>((-m.descender + 63) >> 6);
  const FT_Pos pen = impl_->Layout(text, /*render=*/false, [](FT_Pos) {});
  e.width = static_cast<int>((pen + 63) >> 6);
  return e;
}

void Font::Draw(RgbImage* image, int64_t x, int64_t baseline_y, std::string_view text,
                int pixel_size, Rgb color) {
  impl_->SetSize(pixel_size);
  FT_GlyphSlot slot = impl_->face->glyph;
  impl_->Layout(text, /*render=*/true, [&](FT_Pos pen) {
    const FT_Bitmap& bm = slot->bitmap;
    const int64_t left = x + ((pen + 32) >> 6) + slot->bitmap_left;
    const int64_t top = baseline_y - slot->bitmap_top;
    for (unsigned row = 0; row < bm.rows; ++row) {
      const uint8_t* src = bm.buffer + static_cast<ptrdiff_t>(row) * bm.pitch;
      for (unsigned col = 0; col < bm.width; ++col) {
        uint8_t alpha = 0;
        if (bm.pixel_mode == FT_PIXEL_MODE_GRAY) {
          alpha = src[col];
        } else if (bm.pixel_mode == FT_PIXEL_MODE_MONO) {
          alpha = (src[col >> 3] & (0x80 >> (col & 7))) ? 255 : 0;
        }
        BlendPixel(image, left + col, top + row, color, alpha);
      }
    }
  });
}

}  // namespace corgi::pipeline::report_internal
