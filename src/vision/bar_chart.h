// Horizontal grouped bar charts rendered to an image: one row per item (a label on the left, one
// bar per series), a legend and a title. Used where a person would rather look than read a table:
// per-layer quantization error (`edgezoo analyze`), per-operator time.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "vision/draw.h"
#include "vision/image.h"

namespace ez::vision {

struct BarSeries {
  std::string name;            // legend entry
  Color color;
  std::vector<double> values;  // one per row, >= 0 (negative values are drawn as 0)
  // Printed beside the bars instead of the values when given (one per row), e.g. the cosine
  // when the bars are 1 - cosine.
  std::vector<std::string> annotations = {};
};

struct BarChart {
  std::string title;
  std::string axis;                 // what the values are, printed under the title
  std::vector<std::string> rows;    // row labels, top to bottom
  std::vector<BarSeries> series;
  int width = 1000;                 // image width in pixels; the height follows the row count
  int row_height = 22;              // pixels per row (all series of a row share it)
  // Bar length proportional to log10(value), with a labelled line at every power of ten: for
  // values spread over decades (1 - cosine of quantized layers runs from 1e-5 to 0.5), where a
  // linear scale would leave all but the largest bars invisible. Values <= 0 draw no bar.
  bool log_scale = false;
};

// The chart as an RGB image. Bars are scaled to the largest value; each bar is annotated with its
// value. Errors: no rows, or a series whose value or annotation count differs from the row count.
// Without a font (none installed) the chart is drawn without text.
Result<Image> render_bar_chart(const BarChart& chart);

}  // namespace ez::vision
