// Statistics of one tensor over a calibration set, gathered in a single pass: exact min and max,
// the count of exact zeros, and a histogram of 4096 equal bins (fewer when asked: the per-channel
// histograms use 1024) over [-range, range] (so |x| has 2048 bins). When a value
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

  // `bins`: even, at least 2 (the default kBins for whole tensors).
  explicit TensorHistogram(int bins = kBins) : nbins_(bins < 2 ? 2 : bins + (bins & 1)) {}

  // Non-finite values (NaN, inf) are counted apart and otherwise ignored.
  void add(const float* x, int64_t n);

  int64_t count() const { return count_; }  // finite values seen
  int64_t zeros() const { return zeros_; }  // values exactly 0 (quantized without error)
  // Every finite value seen is an integer of magnitude at most 2^16 (pixels, indices): such a
  // tensor may fit an integer grid exactly.
  bool integers() const { return integers_ && count_ > 0; }
  int bin_count() const { return nbins_; }
  int64_t non_finite() const { return non_finite_; }
  float min() const { return min_; }
  float max() const { return max_; }
  double range() const { return range_; }     // the histogram covers [-range, range]
  double bin_width() const { return 2 * range_ / nbins_; }
  const std::vector<double>& bins() const { return bins_; }  // bin_count() counts, empty until data
  // The histogram of |x|: bin_count() / 2 counts, bin j covering [j, j+1) * bin_width().
  std::vector<double> abs_bins() const;

 private:
  void grow_to(double absmax);
  int nbins_;
  std::vector<double> bins_;
  double range_ = 0;
  int64_t zeros_before_range_ = 0;  // zeros seen while every value so far was 0 (no range yet)
  int64_t count_ = 0, non_finite_ = 0, zeros_ = 0;
  bool integers_ = true;
  float min_ = 0, max_ = 0;
};

}  // namespace ez::quant
