// Drawing on RGB (or gray) images: box outlines, filled and alpha-blended rectangles, polygons,
// masks, lines and dots, and the class colour palette. Everything is clipped to the image, so
// callers may pass boxes that stick out. Text is in text.h.
#pragma once

#include <cstdint>
#include <vector>

#include "vision/image.h"

namespace ez::vision {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
};
inline bool operator==(Color a, Color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

struct PointF {
  float x = 0, y = 0;
};

// The Ultralytics 20-colour palette (RGB), cycled for class ids >= 20 (negative ids use 0).
Color palette_color(int class_id);
// Ultralytics' pose palette (20 colours) for keypoints and limbs.
Color pose_palette_color(int index);
// Black or white, whichever reads better on `background` (by luma).
Color text_color_for(Color background);

// Rectangle outline over the inclusive pixel box [x1..x2] x [y1..y2] (x1 <= x2, y1 <= y2 or they
// are swapped); a line of `thickness` pixels grows inwards from each edge, so the box's outer
// border stays where the caller put it.
void draw_rect(Image& img, int x1, int y1, int x2, int y2, Color color, int thickness = 2);
// Filled rectangle over the inclusive box; alpha 1 = opaque; a pixel becomes
// round(old * (1 - a) + color * a) with a quantised to 1/255 steps.
void fill_rect(Image& img, int x1, int y1, int x2, int y2, Color color, float alpha = 1.0f);
// Filled polygon (even-odd rule, a pixel is inside if its centre is).
void fill_polygon(Image& img, const std::vector<PointF>& points, Color color, float alpha = 1.0f);
// Blends `color` into every pixel whose mask value is non-zero. The mask is width*height bytes,
// same size as the image.
void blend_mask(Image& img, const uint8_t* mask, Color color, float alpha = 0.5f);
// A straight line of the given thickness (a run of filled discs along it), and a filled disc.
void draw_line(Image& img, float x0, float y0, float x1, float y1, Color color, int thickness = 2);
void fill_circle(Image& img, float cx, float cy, float radius, Color color);

// Sets one pixel, blending with alpha in 0..255 (255 = opaque); no-op outside the image.
void blend_pixel(Image& img, int x, int y, Color color, int alpha255);

}  // namespace ez::vision
