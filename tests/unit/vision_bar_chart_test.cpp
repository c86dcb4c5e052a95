// Bar charts: bar lengths proportional to the values (measured in pixels of each series' colour
// along the middle of its bar), zero draws nothing, malformed charts are refused.
#include <gtest/gtest.h>

#include "vision/bar_chart.h"

namespace ez::vision {
namespace {

int run_of_color(const Image& img, int y, Color c) {
  int n = 0;
  for (int x = 0; x < img.width; ++x) {
    const uint8_t* p = img.at(x, y);
    n += p[0] == c.r && p[1] == c.g && p[2] == c.b;
  }
  return n;
}

TEST(VisionBarChart, BarsAreProportionalToValues) {
  BarChart chart;
  chart.title = "per-layer error";
  chart.axis = "relative error";
  chart.rows = {"conv_a", "conv_b", "conv_c"};
  const Color red{200, 30, 30}, blue{40, 90, 200};
  chart.series = {{"isolated", red, {1.0, 0.5, 0.0}}, {"accumulated", blue, {0.25, 1.0, 0.0}}};
  chart.row_height = 24;
  auto img = render_bar_chart(chart);
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->width, 1000);
  EXPECT_EQ(img->height, 64 + 3 * 24 + 12);
  // Series s of row r occupies rows header + r*row_height + 2 + s*per_series ... (+per_series-1).
  const int per_series = (24 - 4) / 2;
  auto mid = [&](int r, int s) { return 64 + r * 24 + 2 + s * per_series + per_series / 2; };
  const int full = run_of_color(*img, mid(0, 0), red);
  ASSERT_GT(full, 300);  // the largest value spans most of the width
  EXPECT_NEAR(run_of_color(*img, mid(1, 0), red), full / 2.0, 2.0);
  EXPECT_EQ(run_of_color(*img, mid(2, 0), red), 0);
  EXPECT_NEAR(run_of_color(*img, mid(0, 1), blue), full / 4.0, 2.0);
  EXPECT_EQ(run_of_color(*img, mid(1, 1), blue), full);
}

TEST(VisionBarChart, LogScaleGivesEachDecadeTheSameLength) {
  BarChart chart;
  chart.rows = {"a", "b", "c", "d"};
  const Color red{200, 30, 30};
  // Decades from 1e-4 (below half the smallest value) to 1e-1: bars 1/3, 2/3, 3/3; 0 draws none.
  chart.series = {{"1 - cosine", red, {1e-3, 1e-2, 1e-1, 0.0}}};
  chart.series[0].annotations = {"0.999", "0.99", "0.9", "1"};
  chart.row_height = 20;
  chart.log_scale = true;
  auto img = render_bar_chart(chart);
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  const int header = 80, per_series = 20 - 4;
  auto mid = [&](int r) { return header + r * 20 + 2 + per_series / 2; };
  const int full = run_of_color(*img, mid(2), red);
  ASSERT_GT(full, 300);
  EXPECT_NEAR(run_of_color(*img, mid(0), red), full / 3.0, 2.0);
  EXPECT_NEAR(run_of_color(*img, mid(1), red), 2.0 * full / 3.0, 2.0);
  EXPECT_EQ(run_of_color(*img, mid(3), red), 0);
}

TEST(VisionBarChart, RefusesMismatchedSeries) {
  BarChart chart;
  chart.rows = {"a", "b"};
  chart.series = {{"s", Color{0, 0, 0}, {1.0}}};
  auto img = render_bar_chart(chart);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("'s' has 1 values for 2 rows"), std::string::npos) << img.status().to_string();
  chart.series[0].values = {1.0, 2.0};
  chart.series[0].annotations = {"one"};
  img = render_bar_chart(chart);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("1 annotations for 2 rows"), std::string::npos) << img.status().to_string();
  chart.rows.clear();
  EXPECT_FALSE(render_bar_chart(chart).ok());
}

}  // namespace
}  // namespace ez::vision
