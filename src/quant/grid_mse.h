// The expected squared error of quantizing a histogram on a given integer grid, in O(1) per
// (step, zero point) after one O(bins) preparation: what the per-channel searches need, which try
// tens of thousands of grids per tensor.
#pragma once

#include <vector>

#include "quant/histogram.h"

namespace ez::quant {

class GridMse {
 public:
  explicit GridMse(const TensorHistogram& h);

  // Values beyond [(qmin - z) step, (qmax - z) step] are clipped (squared distance to the edge,
  // values at their bin centres); values inside get the rounding noise step^2 / 12, except exact
  // zeros, which every grid with qmin <= z <= qmax represents exactly. Sums over all values.
  double error(double step, int zero_point, int qmin, int qmax) const;

  double min() const { return min_; }
  double max() const { return max_; }
  double count() const { return count_; }

 private:
  double lower_edge_ = 0, width_ = 1, min_ = 0, max_ = 0, count_ = 0, zeros_ = 0;
  std::vector<double> n_, s1_, s2_;  // prefix sums over bins: count, sum of centres, sum of squared centres
};

}  // namespace ez::quant
