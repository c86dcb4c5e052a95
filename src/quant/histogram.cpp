#include "quant/histogram.h"

#include <algorithm>
#include <cmath>

namespace ez::quant {

void TensorHistogram::grow_to(double absmax) {
  if (absmax <= range_) return;
  if (range_ == 0) {
    range_ = absmax;
    bins_.assign(kBins, 0.0);
    bins_[kBins / 2] += static_cast<double>(zeros_before_range_);  // 0 sits at the left edge of bin kBins/2
    zeros_before_range_ = 0;
    return;
  }
  int k = 0;
  double r = range_;
  while (r < absmax) {
    r *= 2;
    ++k;
  }
  // Old bin i starts (kBins/2)(2^k - 1) + i old widths above the new lower edge -2^k * range.
  const int64_t factor = k >= 62 ? (int64_t{1} << 62) : (int64_t{1} << k);
  std::vector<double> merged(kBins, 0.0);
  for (int i = 0; i < kBins; ++i) {
    if (bins_[i] == 0) continue;
    const double offset = static_cast<double>(kBins / 2) * static_cast<double>(factor - 1) + i;
    const int64_t j = static_cast<int64_t>(offset / static_cast<double>(factor));
    merged[std::min<int64_t>(j, kBins - 1)] += bins_[i];
  }
  bins_.swap(merged);
  range_ = r;
}

void TensorHistogram::add(const float* x, int64_t n) {
  float lo = INFINITY, hi = -INFINITY;
  int64_t finite = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    ++finite;
  }
  non_finite_ += n - finite;
  if (finite == 0) return;
  min_ = count_ == 0 ? lo : std::min(min_, lo);
  max_ = count_ == 0 ? hi : std::max(max_, hi);
  count_ += finite;
  const double absmax = std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
  if (absmax == 0 && range_ == 0) {
    zeros_before_range_ += finite;
    return;
  }
  grow_to(absmax);
  const double inv_w = kBins / (2 * range_);
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    int64_t b = static_cast<int64_t>((x[i] + range_) * inv_w);
    b = std::min<int64_t>(std::max<int64_t>(b, 0), kBins - 1);
    bins_[b] += 1;
  }
}

std::vector<double> TensorHistogram::abs_bins() const {
  std::vector<double> a(kAbsBins, 0.0);
  if (bins_.empty()) {
    a[0] = static_cast<double>(zeros_before_range_);
    return a;
  }
  for (int j = 0; j < kAbsBins; ++j) a[j] = bins_[kAbsBins + j] + bins_[kAbsBins - 1 - j];
  return a;
}

}  // namespace ez::quant
