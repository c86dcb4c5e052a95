// Statistics of one tensor over a calibration set, gathered in a single pass: exact min and max,
// and a histogram of 4096 equal bins over [-range, range] (so |x| has 2048 bins). When a value
// beyond the range arrives the range doubles as often as needed and neighbouring bins merge; the
// grid is symmetric about 0 with an even bin count, so every old bin falls inside one new bin and
// nothing is approximated by the re-binning.
#pragma once

#include <cstdint>
#include <vector>

namespace ez::quant {

class TensorHistogram {
 public:
  static constexpr int kBins = 4096;
  static constexpr int kAbsBins = kBins / 2;

  // Non-finite values (NaN, inf) are counted apart and otherwise ignored.
  void add(const float* x, int64_t n);

  int64_t count() const { return count_; }  // finite values seen
  int64_t non_finite() const { return non_finite_; }
  float min() const { return min_; }
  float max() const { return max_; }
  double range() const { return range_; }     // the histogram covers [-range, range]
  double bin_width() const { return 2 * range_ / kBins; }
  const std::vector<double>& bins() const { return bins_; }  // kBins counts, empty until data
  // The histogram of |x|: kAbsBins counts, bin j covering [j, j+1) * bin_width().
  std::vector<double> abs_bins() const;

 private:
  void grow_to(double absmax);
  std::vector<double> bins_;
  double range_ = 0;
  int64_t zeros_before_range_ = 0;  // zeros seen while every value so far was 0 (no range yet)
  int64_t count_ = 0, non_finite_ = 0;
  float min_ = 0, max_ = 0;
};

}  // namespace ez::quant
