#include "vision/bar_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "vision/text.h"

namespace ez::vision {

namespace {

const Color kBackground{255, 255, 255};
const Color kInk{30, 30, 30};
const Color kGrid{225, 225, 225};
const Color kDecade{190, 190, 190};

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
  for (const BarSeries& s : chart.series) {
    if (s.values.size() != chart.rows.size())
      return invalid_argument("bar chart: series '" + s.name + "' has " + std::to_string(s.values.size()) +
                              " values for " + std::to_string(chart.rows.size()) + " rows");
    if (!s.annotations.empty() && s.annotations.size() != chart.rows.size())
      return invalid_argument("bar chart: series '" + s.name + "' has " + std::to_string(s.annotations.size()) +
                              " annotations for " + std::to_string(chart.rows.size()) + " rows");
  }
  std::unique_ptr<Font> font;
  if (auto f = Font::load(kDefaultFontPath, 13); f.ok()) font = std::make_unique<Font>(std::move(*f));

  const int rows = static_cast<int>(chart.rows.size());
  const int header = chart.log_scale ? 80 : 64, margin = 12, value_room = 80;
  int label_width = 160;
  if (font)
    for (const std::string& r : chart.rows) label_width = std::max(label_width, font->text_width(r) + 2 * margin);
  label_width = std::min(label_width, chart.width / 2);
  const int width = std::max(chart.width, label_width + value_room + 200);
  const int height = header + rows * chart.row_height + margin;
  Image img(width, height, 3, 0);
  fill_rect(img, 0, 0, width, height, kBackground);

  double max_value = 0, min_positive = 0;
  for (const BarSeries& s : chart.series)
    for (double v : s.values) {
      max_value = std::max(max_value, v);
      if (v > 0 && (min_positive == 0 || v < min_positive)) min_positive = v;
    }
  const int x0 = label_width, bar_room = width - x0 - value_room - margin;
  // Log scale: whole decades from below the smallest value (so its bar still shows) to above the
  // largest; at most 8 decades, smaller values are drawn at the first.
  int lo_decade = 0, hi_decade = 1;
  if (chart.log_scale && max_value > 0) {
    hi_decade = static_cast<int>(std::ceil(std::log10(max_value) - 1e-9));
    lo_decade = std::max(static_cast<int>(std::floor(std::log10(min_positive * 0.5))), hi_decade - 8);
    if (lo_decade >= hi_decade) lo_decade = hi_decade - 1;
  }
  auto bar_length = [&](double v) {
    if (v <= 0 || max_value <= 0) return 0;
    double f = v / max_value;
    if (chart.log_scale) f = std::max(0.0, (std::log10(v) - lo_decade) / (hi_decade - lo_decade));
    return static_cast<int>(bar_room * f + 0.5);
  };

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

  if (chart.log_scale && max_value > 0) {
    for (int d = lo_decade; d <= hi_decade; ++d) {
      const int x = x0 + bar_length(std::pow(10.0, d));
      fill_rect(img, x, header - 4, x + 1, height - margin, kDecade);
      if (font) {
        char tick[16];
        std::snprintf(tick, sizeof(tick), "1e%d", d);
        font->draw_text(img, x - font->text_width(tick) / 2, header - 7, tick, kInk);
      }
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
      const int len = bar_length(v);
      if (len > 0) fill_rect(img, x0, y, x0 + len, y + per_series - 1, chart.series[s].color);
      const std::string text = chart.series[s].annotations.empty() ? format_value(v) : chart.series[s].annotations[r];
      if (font && per_series >= 9) font->draw_text(img, x0 + len + 4, y + per_series - 2, text, kInk);
    }
  }
  return img;
}

}  // namespace ez::vision
