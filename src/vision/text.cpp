#include "vision/text.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ez::vision {
namespace {

struct Glyph {
  int left = 0, top = 0;  // bitmap offset from the pen position (top: above the baseline)
  int width = 0, rows = 0;
  int advance = 0;  // pixels
  std::vector<uint8_t> coverage;
};

// Minimal UTF-8 decoder; malformed bytes become U+FFFD.
std::vector<char32_t> decode_utf8(const std::string& s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra;
    char32_t cp;
    if (c < 0x80) {
      extra = 0, cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, cp = c & 0x07;
    } else {
      out.push_back(0xfffd);
      ++i;
      continue;
    }
    bool ok = i + extra < s.size();
    for (int k = 1; ok && k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    out.push_back(ok ? cp : 0xfffd);
    i += ok ? extra + 1 : 1;
  }
  return out;
}

}  // namespace

struct Font::Impl {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  int pixel_size = 0;
  int ascent = 0, descent = 0;
  std::mutex mutex;
  std::unordered_map<char32_t, Glyph> cache;

  ~Impl() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }

  // Rendered once per character, then served from the cache.
  const Glyph& glyph(char32_t cp) {
    auto it = cache.find(cp);
    if (it != cache.end()) return it->second;
    Glyph g;
    if (FT_Load_Char(face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL) == 0) {
      const FT_GlyphSlot slot = face->glyph;
      const FT_Bitmap& bm = slot->bitmap;
      g.left = slot->bitmap_left;
      g.top = slot->bitmap_top;
      g.advance = static_cast<int>((slot->advance.x + 32) >> 6);
      if (bm.pixel_mode == FT_PIXEL_MODE_GRAY) {
        g.width = static_cast<int>(bm.width);
        g.rows = static_cast<int>(bm.rows);
        g.coverage.resize(static_cast<size_t>(g.width) * g.rows);
        for (int y = 0; y < g.rows; ++y)
          for (int x = 0; x < g.width; ++x)
            g.coverage[static_cast<size_t>(y) * g.width + x] = bm.buffer[y * bm.pitch + x];
      }
    } else {
      g.advance = pixel_size / 2;  // unrenderable: leave a gap
    }
    return cache.emplace(cp, std::move(g)).first->second;
  }
};

Font::Font(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Font::Font(Font&&) noexcept = default;
Font& Font::operator=(Font&&) noexcept = default;
Font::~Font() = default;

Result<Font> Font::load(const std::string& path, int pixel_size) {
  if (pixel_size < 4 || pixel_size > 512)
    return invalid_argument("font size " + std::to_string(pixel_size) + " px is outside 4..512");
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return not_found("font file '" + path + "' not found (Debian: apt-get install fonts-dejavu-core)");
  auto impl = std::make_unique<Impl>();
  if (FT_Init_FreeType(&impl->library) != 0) return internal_error("cannot initialise FreeType");
  if (FT_New_Face(impl->library, path.c_str(), 0, &impl->face) != 0)
    return invalid_argument("'" + path + "' is not a font file FreeType can read");
  if (FT_Set_Pixel_Sizes(impl->face, 0, static_cast<FT_UInt>(pixel_size)) != 0)
    return invalid_argument("font '" + path + "' cannot be drawn at " + std::to_string(pixel_size) + " px");
  impl->pixel_size = pixel_size;
  const FT_Size_Metrics& m = impl->face->size->metrics;
  impl->ascent = static_cast<int>((m.ascender + 63) >> 6);
  impl->descent = static_cast<int>((-m.descender + 63) >> 6);
  return Font(std::move(impl));
}

int Font::pixel_size() const { return impl_->pixel_size; }
int Font::ascent() const { return impl_->ascent; }
int Font::descent() const { return impl_->descent; }

int Font::text_width(const std::string& utf8) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  int w = 0;
  for (char32_t cp : decode_utf8(utf8)) w += impl_->glyph(cp).advance;
  return w;
}

void Font::draw_text(Image& img, int x, int baseline_y, const std::string& utf8, Color color) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  int pen = x;
  for (char32_t cp : decode_utf8(utf8)) {
    const Glyph& g = impl_->glyph(cp);
    const int ox = pen + g.left, oy = baseline_y - g.top;
    for (int gy = 0; gy < g.rows; ++gy)
      for (int gx = 0; gx < g.width; ++gx)
        blend_pixel(img, ox + gx, oy + gy, color, g.coverage[static_cast<size_t>(gy) * g.width + gx]);
    pen += g.advance;
  }
}

int suggested_line_width(const Image& img) {
  return std::max(static_cast<int>(std::lround((img.width + img.height) / 2.0 * 0.003)), 2);
}

int suggested_font_size(const Image& img) {
  return std::max(static_cast<int>(std::lround((img.width + img.height) / 2.0 * 0.035)), 12);
}

void draw_label(Image& img, const Font& font, int x, int y, const std::string& text, Color background) {
  const int pad = std::max(2, font.pixel_size() / 6);  // left and right
  const int vpad = pad / 2;                              // top and bottom (the font has its own leading)
  const int tag_w = font.text_width(text) + 2 * pad;
  const int tag_h = font.ascent() + font.descent() + 2 * vpad;
  int top = y - tag_h;
  if (top < 0) top = y;  // no room above: hang the tag below the corner, inside the box
  int left = std::min(x, img.width - tag_w);
  left = std::max(left, 0);
  fill_rect(img, left, top, left + tag_w - 1, top + tag_h - 1, background);
  font.draw_text(img, left + pad, top + vpad + font.ascent(), text, text_color_for(background));
}

void draw_box_with_label(Image& img, const Font* font, int x1, int y1, int x2, int y2, const std::string& label,
                         Color color, int thickness) {
  draw_rect(img, x1, y1, x2, y2, color, thickness);
  if (font && !label.empty()) draw_label(img, *font, std::min(x1, x2), std::min(y1, y2), label, color);
}

}  // namespace ez::vision
