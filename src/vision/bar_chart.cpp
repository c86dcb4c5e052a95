#include "vision/bar_chart.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "vision/text.h"

namespace ez::vision {

namespace {

const Color kBackground{255, 255, 255};
const Color kInk{30, 30, 30};
const Color kGrid{225, 225, 225};

std::string format_value(double v) {
  char buf[32];
  if (v != 0 && (v < 1e-3 || v >= 1e4)) std::snprintf(buf, sizeof(buf), "%.2e", v);
  else std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

}  // namespace

Result<Image> render_bar_chart(const BarChart& chart) {
  if (chart.rows.empty()) return invalid_argument("bar chart: no rows to draw");
  if (chart.series.empty()) return invalid_argument("bar chart: no series to draw");
  for (const BarSeries& s : chart.series)
    if (s.values.size() != chart.rows.size())
      return invalid_argument("bar chart: series '" + s.name + "' has " + std::to_string(s.values.size()) +
                              " values for " + std::to_string(chart.rows.size()) + " rows");
  std::unique_ptr<Font> font;
  if (auto f = Font::load(kDefaultFontPath, 13); f.ok()) font = std::make_unique<Font>(std::move(*f));

  const int rows = static_cast<int>(chart.rows.size());
  const int header = 64, margin = 12, value_room = 80;
  int label_width = 160;
  if (font)
    for (const std::string& r : chart.rows) label_width = std::max(label_width, font->text_width(r) + 2 * margin);
  label_width = std::min(label_width, chart.width / 2);
  const int width = std::max(chart.width, label_width + value_room + 200);
  const int height = header + rows * chart.row_height + margin;
  Image img(width, height, 3, 0);
  fill_rect(img, 0, 0, width, height, kBackground);

  double max_value = 0;
  for (const BarSeries& s : chart.series)
    for (double v : s.values) max_value = std::max(max_value, v);
  const int x0 = label_width, bar_room = width - x0 - value_room - margin;

  // Title, axis note and legend.
  if (font) {
    font->draw_text(img, margin, 20, chart.title, kInk);
    font->draw_text(img, margin, 38, chart.axis, kInk);
  }
  int lx = x0;
  for (const BarSeries& s : chart.series) {
    fill_rect(img, lx, 46, lx + 14, 58, s.color);
    if (font) {
      font->draw_text(img, lx + 20, 57, s.name, kInk);
      lx += 20 + font->text_width(s.name) + 24;
    } else {
      lx += 60;
    }
  }

  const int per_series = std::max(2, (chart.row_height - 4) / static_cast<int>(chart.series.size()));
  for (int r = 0; r < rows; ++r) {
    const int top = header + r * chart.row_height;
    if (r % 2 == 1) fill_rect(img, 0, top, width, top + chart.row_height, kGrid, 0.5f);
    if (font) {
      std::string label = chart.rows[r];
      while (label.size() > 4 && font->text_width(label) > label_width - 2 * margin) label = label.substr(0, label.size() - 4) + "...";
      font->draw_text(img, margin, top + chart.row_height / 2 + 5, label, kInk);
    }
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const double v = std::max(0.0, chart.series[s].values[r]);
      const int y = top + 2 + static_cast<int>(s) * per_series;
      const int len = max_value > 0 ? static_cast<int>(bar_room * (v / max_value) + 0.5) : 0;
      if (len > 0) fill_rect(img, x0, y, x0 + len, y + per_series - 1, chart.series[s].color);
      if (font && per_series >= 9) font->draw_text(img, x0 + len + 4, y + per_series - 2, format_value(v), kInk);
    }
  }
  return img;
}

}  // namespace ez::vision
