// Text labels rendered with FreeType (anti-aliased). Loading a font can fail (no font installed):
// callers then draw boxes without labels.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "vision/draw.h"
#include "vision/image.h"

namespace ez::vision {

// Debian's fonts-dejavu-core.
constexpr const char* kDefaultFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

class Font {
 public:
  // pixel_size: the em height in pixels (DejaVuSans capitals are ~0.73 of it).
  static Result<Font> load(const std::string& path = kDefaultFontPath, int pixel_size = 16);

  Font(Font&&) noexcept;
  Font& operator=(Font&&) noexcept;
  ~Font();

  int pixel_size() const;
  int ascent() const;   // pixels above the baseline (positive)
  int descent() const;  // pixels below the baseline (positive)
  int text_width(const std::string& utf8) const;
  // Draws UTF-8 text with its baseline at y, starting at x. Characters the font lacks are drawn
  // as the font's missing-glyph box. Thread-safe (glyphs are cached under a lock).
  void draw_text(Image& img, int x, int baseline_y, const std::string& utf8, Color color) const;

 private:
  struct Impl;
  explicit Font(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Line width and font size that suit an image, as Ultralytics' Annotator picks them.
int suggested_line_width(const Image& img);
int suggested_font_size(const Image& img);

// A filled tag in `background` with the text in black or white (whichever reads better). (x, y)
// is the top-left corner of the box being labelled: the tag sits just above it, or just below
// the corner when there is no room above, and is shifted left to stay inside the image.
void draw_label(Image& img, const Font& font, int x, int y, const std::string& text, Color background);

// A detection: box outline plus its label; without a font (nullptr) only the box is drawn.
void draw_box_with_label(Image& img, const Font* font, int x1, int y1, int x2, int y2, const std::string& label,
                         Color color, int thickness = 2);

}  // namespace ez::vision
