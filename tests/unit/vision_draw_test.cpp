// Drawing: exact pixels for rectangles, blending, polygons and masks; FreeType labels; and a demo
// picture (written to $EDGEZOO_VISION_DEMO_DIR/vision_demo.png when that is set, for a human to look at).
#include <gtest/gtest.h>

#include <cstdlib>

#include "vision/draw.h"
#include "vision/image_io.h"
#include "vision/text.h"
#include "vision_test_util.h"

namespace ez::vision {
namespace {

constexpr Color kRed{255, 0, 0};

Image canvas(int w, int h, uint8_t v = 10) { return Image(w, h, 3, v); }

bool is(const Image& img, int x, int y, Color c) {
  const uint8_t* p = img.at(x, y);
  return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

TEST(VisionDraw, RectangleOutlineChangesExactlyTheBorderPixels) {
  Image img = canvas(20, 15);
  draw_rect(img, 2, 3, 12, 10, kRed, 2);
  int changed = 0;
  for (int y = 0; y < 15; ++y)
    for (int x = 0; x < 20; ++x) {
      const bool in_box = x >= 2 && x <= 12 && y >= 3 && y <= 10;
      const bool in_hole = x >= 4 && x <= 10 && y >= 5 && y <= 8;
      const bool expect = in_box && !in_hole;
      EXPECT_EQ(is(img, x, y, kRed), expect) << x << "," << y;
      if (!expect) {
        EXPECT_TRUE(is(img, x, y, Color{10, 10, 10})) << x << "," << y;
      }
      changed += expect;
    }
  EXPECT_EQ(changed, 11 * 8 - 7 * 4);
}

TEST(VisionDraw, RectangleIsClippedAndSwappedCornersWork) {
  Image img = canvas(10, 10);
  draw_rect(img, 12, 12, 5, 5, kRed, 1);  // swapped, right/bottom edges outside
  EXPECT_TRUE(is(img, 5, 5, kRed));
  EXPECT_TRUE(is(img, 9, 5, kRed));  // top edge runs to the image border
  EXPECT_TRUE(is(img, 5, 9, kRed));
  EXPECT_FALSE(is(img, 9, 9, kRed));  // the right/bottom edges are off-image
  EXPECT_FALSE(is(img, 6, 6, kRed));
  draw_rect(img, -50, -50, -10, -10, kRed, 3);  // fully outside: nothing, no crash
  draw_rect(img, 0, 0, 2, 2, kRed, 5);          // too small for a hole: solid
  EXPECT_TRUE(is(img, 1, 1, kRed));
}

TEST(VisionDraw, FilledRectangleBlendsWithAlpha) {
  Image img = canvas(6, 6, 100);
  fill_rect(img, 1, 1, 3, 2, Color{200, 0, 50}, 0.5f);
  // alpha 0.5 -> 128/255: (100*127 + 200*128 + 127) / 255 = 150, (100*127 + 127)/255 = 50,
  // (100*127 + 50*128 + 127)/255 = 75.
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) {
      const bool inside = x >= 1 && x <= 3 && y >= 1 && y <= 2;
      const Color want = inside ? Color{150, 50, 75} : Color{100, 100, 100};
      EXPECT_TRUE(is(img, x, y, want)) << x << "," << y << " = " << int(img.at(x, y)[0]);
    }
  fill_rect(img, 0, 0, 5, 5, kRed, 0.f);  // alpha 0: no change
  EXPECT_TRUE(is(img, 0, 0, Color{100, 100, 100}));
}

TEST(VisionDraw, PolygonFillsPixelsWhoseCentreIsInside) {
  Image img = canvas(10, 10, 0);
  // Axis-aligned square (2,2)-(6,5): centres 2.5..5.5 in x and 2.5..4.5 in y -> 4 x 3 pixels.
  fill_polygon(img, {{2, 2}, {6, 2}, {6, 5}, {2, 5}}, kRed, 1.f);
  int n = 0;
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) {
      const bool expect = x >= 2 && x <= 5 && y >= 2 && y <= 4;
      EXPECT_EQ(is(img, x, y, kRed), expect) << x << "," << y;
      n += is(img, x, y, kRed);
    }
  EXPECT_EQ(n, 12);
  // A triangle: the row through centre y=0.5 of a right triangle (0,0),(8,0),(0,8) covers x centres < 7.5.
  Image t = canvas(10, 10, 0);
  fill_polygon(t, {{0, 0}, {8, 0}, {0, 8}}, kRed, 1.f);
  EXPECT_TRUE(is(t, 6, 0, kRed));
  EXPECT_FALSE(is(t, 7, 0, kRed));  // centre 7.5 is on the edge x = 7.5: outside (half-open)
  EXPECT_TRUE(is(t, 0, 6, kRed));   // centre y 6.5: inside for x < 1.5
  EXPECT_FALSE(is(t, 1, 6, kRed));
  EXPECT_FALSE(is(t, 0, 7, kRed));  // centre (0.5, 7.5) is on the hypotenuse: outside
}

TEST(VisionDraw, MaskBlendsOnlyMaskedPixels) {
  Image img = canvas(4, 2, 0);
  const uint8_t mask[8] = {0, 1, 0, 255, 0, 0, 7, 0};
  blend_mask(img, mask, Color{255, 255, 255}, 1.0f);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(img.pixels[3 * i], mask[i] ? 255 : 0) << i;
}

TEST(VisionDraw, LinesAndCirclesStayInside) {
  Image img = canvas(30, 30, 0);
  draw_line(img, 5, 15, 25, 15, kRed, 3);
  EXPECT_TRUE(is(img, 15, 15, kRed));
  EXPECT_FALSE(is(img, 15, 12, kRed));
  EXPECT_FALSE(is(img, 2, 15, kRed));
  fill_circle(img, 100, 100, 5, kRed);  // off-image: no crash
  fill_circle(img, 5, 5, 2, kRed);
  EXPECT_TRUE(is(img, 5, 5, kRed));
  EXPECT_FALSE(is(img, 5, 8, kRed));
}

TEST(VisionDraw, PaletteIsUltralytics) {
  EXPECT_TRUE(palette_color(0) == (Color{4, 42, 255}));    // #042AFF
  EXPECT_TRUE(palette_color(5) == (Color{255, 111, 221}));  // #FF6FDD
  EXPECT_TRUE(palette_color(19) == (Color{162, 255, 11}));  // #A2FF0B
  EXPECT_TRUE(palette_color(20) == palette_color(0));
  EXPECT_TRUE(palette_color(-3) == palette_color(0));
  EXPECT_TRUE(text_color_for(Color{4, 42, 255}) == (Color{255, 255, 255}));
  EXPECT_TRUE(text_color_for(Color{243, 243, 243}) == (Color{0, 0, 0}));
}

TEST(VisionText, FontLoadErrors) {
  auto missing = Font::load("/nonexistent/font.ttf", 16);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/font.ttf"), std::string::npos);
  auto not_font = Font::load(test::image_path("bus.jpg"), 16);
  ASSERT_FALSE(not_font.ok());
  EXPECT_EQ(not_font.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Font::load(kDefaultFontPath, 0).ok());
}

TEST(VisionText, LabelDrawsATagWithReadableText) {
  auto font = Font::load(kDefaultFontPath, 16);
  ASSERT_TRUE(font.ok()) << font.status().to_string();  // fonts-dejavu-core (scripts/setup.sh)
  EXPECT_GT(font->text_width("person 0.88"), font->text_width("person"));
  EXPECT_GT(font->ascent(), 10);

  Image img = canvas(200, 100, 50);
  const Color bg = palette_color(0);  // dark blue -> white text
  draw_label(img, *font, 20, 60, "person 0.88", bg);
  // The tag sits above (20, 60): every changed pixel is in the columns from 20 and rows < 60.
  int tag = 0, white = 0, min_x = 1000, max_y = -1;
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 200; ++x) {
      if (is(img, x, y, Color{50, 50, 50})) continue;
      min_x = std::min(min_x, x), max_y = std::max(max_y, y);
      tag += is(img, x, y, bg);
      white += is(img, x, y, Color{255, 255, 255});
    }
  EXPECT_EQ(min_x, 20);
  EXPECT_EQ(max_y, 59);
  EXPECT_GT(tag, 500);   // the filled background
  EXPECT_GT(white, 20);  // fully covered glyph pixels (stems of l, 0, 8...)
  // At the top edge there is no room above: the tag hangs below the corner.
  Image top = canvas(200, 100, 50);
  draw_label(top, *font, 190, 0, "bus 0.91", palette_color(2));  // light -> black text, shifted left
  EXPECT_TRUE(is(top, 199, 0, palette_color(2)));
  EXPECT_FALSE(is(top, 150, 0, Color{50, 50, 50}));
}

TEST(VisionText, BoxesWithoutAFontStillDraw) {
  Image img = canvas(50, 50, 0);
  draw_box_with_label(img, nullptr, 10, 10, 40, 40, "person", kRed, 2);
  EXPECT_TRUE(is(img, 10, 10, kRed));
  EXPECT_TRUE(is(img, 0, 9, Color{0, 0, 0}));  // no tag
}

// Draws boxes, a mask, a polygon and labels on bus.jpg; checks the PNG decodes back identically.
TEST(VisionText, DemoPicture) {
  auto img = decode_image(test::image_path("bus.jpg"));
  ASSERT_TRUE(img.ok());
  auto font = Font::load(kDefaultFontPath, suggested_font_size(*img));
  ASSERT_TRUE(font.ok());
  Image& im = *img;
  const int lw = suggested_line_width(im);
  // Rough boxes of the bus and three people in the zoo's copy of the image.
  struct {
    int x1, y1, x2, y2, cls;
    const char* label;
  } dets[] = {{95, 137, 555, 438, 5, "bus 0.94"},
              {108, 236, 229, 537, 0, "person 0.88"},
              {211, 242, 286, 507, 0, "person 0.86"},
              {473, 233, 560, 520, 0, "person 0.83"}};
  std::vector<uint8_t> mask(static_cast<size_t>(im.width) * im.height, 0);
  for (int y = 150; y < 420; ++y)
    for (int x = 110; x < 540; ++x) mask[static_cast<size_t>(y) * im.width + x] = (x + y) % 40 < 30;
  blend_mask(im, mask.data(), palette_color(5), 0.3f);
  fill_polygon(im, {{300, 560}, {380, 600}, {340, 630}, {280, 610}}, palette_color(9), 0.5f);
  for (const auto& d : dets) draw_box_with_label(im, &*font, d.x1, d.y1, d.x2, d.y2, d.label, palette_color(d.cls), lw);
  draw_label(im, *font, 0, 0, "top-left: 字 fallback", palette_color(2));

  test::TempDir dir;
  const char* out_dir = std::getenv("EDGEZOO_VISION_DEMO_DIR");
  const std::string path = (out_dir && *out_dir ? std::string(out_dir) : dir.path()) + "/vision_demo.png";
  ASSERT_TRUE(write_image(path, im).ok());
  auto back = decode_image(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pixels, im.pixels);
}

}  // namespace
}  // namespace ez::vision
