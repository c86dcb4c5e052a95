#include "quant/histogram.h"

#include <algorithm>
#include <cmath>

namespace ez::quant {

void TensorHistogram::grow_to(double absmax) {
  if (absmax <= range_) return;
  if (range_ == 0) {
    range_ = absmax;
    bins_.assign(nbins_, 0.0);
    bins_[nbins_ / 2] += static_cast<double>(zeros_before_range_);  // 0 sits at the left edge of the middle bin
    zeros_before_range_ = 0;
    return;
  }
  int k = 0;
  double r = range_;
  while (r < absmax) {
    r *= 2;
    ++k;
  }
  // Old bin i starts (bins/2)(2^k - 1) + i old widths above the new lower edge -2^k * range.
  const int64_t factor = k >= 62 ? (int64_t{1} << 62) : (int64_t{1} << k);
  std::vector<double> merged(nbins_, 0.0);
  for (int i = 0; i < nbins_; ++i) {
    if (bins_[i] == 0) continue;
    const double offset = static_cast<double>(nbins_ / 2) * static_cast<double>(factor - 1) + i;
    const int64_t j = static_cast<int64_t>(offset / static_cast<double>(factor));
    merged[std::min<int64_t>(j, nbins_ - 1)] += bins_[i];
  }
  bins_.swap(merged);
  range_ = r;
}

void TensorHistogram::add(const float* x, int64_t n) {
  float lo = INFINITY, hi = -INFINITY;
  int64_t finite = 0, zeros = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++finite;
    zeros += v == 0;
  }
  non_finite_ += n - finite;
  zeros_ += zeros;
  for (int64_t i = 0; integers_ && i < n; ++i) {
    const float v = x[i];
    if (std::isfinite(v)) integers_ = std::fabs(v) <= 65536.0f && static_cast<float>(static_cast<int32_t>(v)) == v;
  }
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
  const double inv_w = nbins_ / (2 * range_);
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!std::isfinite(v)) continue;
    int64_t b = static_cast<int64_t>((v + range_) * inv_w);
    b = std::min<int64_t>(std::max<int64_t>(b, 0), nbins_ - 1);
    bins_[b] += 1;
  }
}

std::vector<double> TensorHistogram::abs_bins() const {
  const int half = nbins_ / 2;
  std::vector<double> a(half, 0.0);
  if (bins_.empty()) {
    a[0] = static_cast<double>(zeros_before_range_);
    return a;
  }
  for (int j = 0; j < half; ++j) a[j] = bins_[half + j] + bins_[half - 1 - j];
  return a;
}

}  // namespace ez::quant
