#include "tools/edgezoo/analysis_plot.h"

#include <algorithm>
#include <cstdio>

#include "vision/bar_chart.h"

namespace ez::cli {
namespace {

std::string cosine_text(double c) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.5f", c);
  return buf;
}

}  // namespace

Result<vision::Image> render_analysis_plot(const quant::AnalysisResult& r, int top, const std::string& title) {
  const size_t rows = std::min<size_t>(top > 0 ? top : r.layers.size(), r.layers.size());
  vision::BarChart chart;
  std::string outs;
  for (const quant::OutputError& o : r.outputs) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%s'%s' %.4f", outs.empty() ? "" : ", ", o.name.c_str(), o.cosine);
    outs += buf;
  }
  chart.title = title + ": worst " + std::to_string(rows) + " of " + std::to_string(r.layers.size()) + " layers over " +
                std::to_string(r.samples) + " samples; output cosine " + outs;
  chart.axis = "bars: 1 - cosine against float, log scale, longer = worse (1e-2 = cosine 0.99, 1e-3 = 0.999); numbers: cosine";
  vision::BarSeries iso{"isolated (layer alone, float inputs)", {230, 120, 20}, {}, {}};
  vision::BarSeries acc{"accumulated (int8 model up to here)", {40, 90, 200}, {}, {}};
  for (size_t i = 0; i < rows; ++i) {
    const quant::LayerError& e = r.layers[i];
    chart.rows.push_back(std::to_string(i + 1) + ". " + e.node + " (" + e.op + ")");
    iso.values.push_back(e.has_isolated ? 1.0 - e.isolated_cosine : 0.0);
    iso.annotations.push_back(e.has_isolated ? cosine_text(e.isolated_cosine) : "-");
    acc.values.push_back(1.0 - e.accumulated_cosine);
    acc.annotations.push_back(cosine_text(e.accumulated_cosine));
  }
  chart.series = {iso, acc};
  chart.row_height = 28;
  chart.log_scale = true;
  chart.width = 1100;
  return vision::render_bar_chart(chart);
}

}  // namespace ez::cli
