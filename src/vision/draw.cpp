#include "vision/draw.h"

#include <algorithm>
#include <cmath>

namespace ez::vision {
namespace {

constexpr uint8_t kPalette[20][3] = {
    {4, 42, 255},   {11, 219, 235}, {243, 243, 243}, {0, 223, 183}, {17, 31, 104},   {255, 111, 221}, {255, 68, 79},
    {204, 237, 0},  {0, 243, 68},   {189, 0, 255},   {0, 180, 255}, {221, 0, 186},   {0, 255, 255},   {38, 192, 0},
    {1, 255, 179},  {125, 36, 255}, {123, 0, 104},   {255, 27, 108}, {252, 109, 47}, {162, 255, 11}};

constexpr uint8_t kPosePalette[20][3] = {
    {255, 128, 0},   {255, 153, 51},  {255, 178, 102}, {230, 230, 0},   {255, 153, 255}, {153, 204, 255}, {255, 102, 255},
    {255, 51, 255},  {102, 178, 255}, {51, 153, 255},  {255, 153, 153}, {255, 102, 102}, {255, 51, 51},   {153, 255, 153},
    {102, 255, 102}, {51, 255, 51},   {0, 255, 0},     {0, 0, 255},     {255, 0, 0},     {255, 255, 255}};

int to_alpha255(float alpha) { return static_cast<int>(std::lround(std::clamp(alpha, 0.f, 1.f) * 255.f)); }

inline uint8_t mix(uint8_t old, uint8_t value, int a) {
  return static_cast<uint8_t>((old * (255 - a) + value * a + 127) / 255);
}

inline void put(uint8_t* p, int channels, Color c, int a) {
  if (channels == 1) {
    const uint8_t gray = static_cast<uint8_t>((c.r * 299 + c.g * 587 + c.b * 114 + 500) / 1000);
    p[0] = a == 255 ? gray : mix(p[0], gray, a);
  } else if (a == 255) {
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  } else {
    p[0] = mix(p[0], c.r, a), p[1] = mix(p[1], c.g, a), p[2] = mix(p[2], c.b, a);
  }
}

// Fills [x1..x2] x [y1..y2] after clipping; a = 0..255.
void fill_clipped(Image& img, int x1, int y1, int x2, int y2, Color c, int a) {
  x1 = std::max(x1, 0), y1 = std::max(y1, 0);
  x2 = std::min(x2, img.width - 1), y2 = std::min(y2, img.height - 1);
  if (a <= 0) return;
  for (int y = y1; y <= y2; ++y)
    for (int x = x1; x <= x2; ++x) put(img.at(x, y), img.channels, c, a);
}

}  // namespace

Color palette_color(int class_id) {
  const auto& p = kPalette[class_id < 0 ? 0 : class_id % 20];
  return {p[0], p[1], p[2]};
}

Color pose_palette_color(int index) {
  const auto& p = kPosePalette[index < 0 ? 0 : index % 20];
  return {p[0], p[1], p[2]};
}

Color text_color_for(Color bg) {
  const int luma = (bg.r * 299 + bg.g * 587 + bg.b * 114) / 1000;
  return luma > 150 ? Color{0, 0, 0} : Color{255, 255, 255};
}

void blend_pixel(Image& img, int x, int y, Color color, int alpha255) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height || alpha255 <= 0) return;
  put(img.at(x, y), img.channels, color, std::min(alpha255, 255));
}

void draw_rect(Image& img, int x1, int y1, int x2, int y2, Color color, int thickness) {
  if (x1 > x2) std::swap(x1, x2);
  if (y1 > y2) std::swap(y1, y2);
  const int t = std::max(thickness, 1);
  if (x2 - x1 + 1 <= 2 * t || y2 - y1 + 1 <= 2 * t) {  // too small for a hole: solid
    fill_clipped(img, x1, y1, x2, y2, color, 255);
    return;
  }
  fill_clipped(img, x1, y1, x2, y1 + t - 1, color, 255);          // top
  fill_clipped(img, x1, y2 - t + 1, x2, y2, color, 255);          // bottom
  fill_clipped(img, x1, y1 + t, x1 + t - 1, y2 - t, color, 255);  // left
  fill_clipped(img, x2 - t + 1, y1 + t, x2, y2 - t, color, 255);  // right
}

void fill_rect(Image& img, int x1, int y1, int x2, int y2, Color color, float alpha) {
  if (x1 > x2) std::swap(x1, x2);
  if (y1 > y2) std::swap(y1, y2);
  fill_clipped(img, x1, y1, x2, y2, color, to_alpha255(alpha));
}

void fill_polygon(Image& img, const std::vector<PointF>& pts, Color color, float alpha) {
  const int a = to_alpha255(alpha);
  if (pts.size() < 3 || a <= 0) return;
  float ymin = pts[0].y, ymax = pts[0].y;
  for (const auto& p : pts) ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
  const int y_begin = std::max(0, static_cast<int>(std::floor(ymin)));
  const int y_end = std::min(img.height - 1, static_cast<int>(std::ceil(ymax)));
  std::vector<float> xs;
  for (int y = y_begin; y <= y_end; ++y) {
    const float sy = y + 0.5f;  // sample at the pixel centre
    xs.clear();
    for (size_t i = 0, j = pts.size() - 1; i < pts.size(); j = i++) {
      const PointF& p = pts[i];
      const PointF& q = pts[j];
      if ((p.y <= sy) != (q.y <= sy)) xs.push_back(p.x + (sy - p.y) / (q.y - p.y) * (q.x - p.x));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t k = 0; k + 1 < xs.size(); k += 2) {
      // Pixels whose centre x + 0.5 lies in [xs[k], xs[k+1]).
      const int x_begin = std::max(0, static_cast<int>(std::ceil(xs[k] - 0.5f)));
      const int x_end = std::min(img.width - 1, static_cast<int>(std::ceil(xs[k + 1] - 0.5f)) - 1);
      for (int x = x_begin; x <= x_end; ++x) put(img.at(x, y), img.channels, color, a);
    }
  }
}

void blend_mask(Image& img, const uint8_t* mask, Color color, float alpha) {
  const int a = to_alpha255(alpha);
  if (!mask || a <= 0) return;
  const size_t n = static_cast<size_t>(img.width) * img.height;
  for (size_t i = 0; i < n; ++i)
    if (mask[i]) put(img.pixels.data() + i * img.channels, img.channels, color, a);
}

void fill_circle(Image& img, float cx, float cy, float radius, Color color) {
  if (radius <= 0) return;
  const int x_begin = std::max(0, static_cast<int>(std::floor(cx - radius)));
  const int x_end = std::min(img.width - 1, static_cast<int>(std::ceil(cx + radius)));
  const int y_begin = std::max(0, static_cast<int>(std::floor(cy - radius)));
  const int y_end = std::min(img.height - 1, static_cast<int>(std::ceil(cy + radius)));
  const float r2 = radius * radius;
  for (int y = y_begin; y <= y_end; ++y)
    for (int x = x_begin; x <= x_end; ++x) {
      const float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
      if (dx * dx + dy * dy <= r2) put(img.at(x, y), img.channels, color, 255);
    }
}

void draw_line(Image& img, float x0, float y0, float x1, float y1, Color color, int thickness) {
  const float r = std::max(thickness, 1) * 0.5f;
  const float len = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(len / std::max(r * 0.5f, 0.5f))));
  for (int i = 0; i <= steps; ++i) {
    const float t = static_cast<float>(i) / steps;
    fill_circle(img, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, r, color);
  }
}

}  // namespace ez::vision
