#include "quant/grid_mse.h"

#include <algorithm>
#include <cmath>

namespace ez::quant {

GridMse::GridMse(const TensorHistogram& h) {
  min_ = h.min();
  max_ = h.max();
  count_ = static_cast<double>(h.count());
  zeros_ = static_cast<double>(h.zeros());
  const std::vector<double>& b = h.bins();
  n_.assign(b.size() + 1, 0.0);
  s1_.assign(b.size() + 1, 0.0);
  s2_.assign(b.size() + 1, 0.0);
  if (b.empty()) return;  // all zeros
  width_ = h.bin_width();
  lower_edge_ = -h.range();
  for (size_t i = 0; i < b.size(); ++i) {
    const double x = lower_edge_ + (static_cast<double>(i) + 0.5) * width_;
    n_[i + 1] = n_[i] + b[i];
    s1_[i + 1] = s1_[i] + b[i] * x;
    s2_[i + 1] = s2_[i] + b[i] * x * x;
  }
}

double GridMse::error(double step, int zero_point, int qmin, int qmax) const {
  const int bins = static_cast<int>(n_.size()) - 1;
  if (bins <= 0 || count_ == 0) return 0.0;
  const double lo = (qmin - zero_point) * step, hi = (qmax - zero_point) * step;
  // Bins [0, below) have centres < lo; bins [above, bins) centres > hi.
  const double pos_lo = (lo - lower_edge_) / width_ - 0.5, pos_hi = (hi - lower_edge_) / width_ - 0.5;
  const int below = static_cast<int>(std::min<double>(bins, std::max(0.0, std::ceil(pos_lo))));
  const int above = static_cast<int>(std::min<double>(bins, std::max<double>(below, std::floor(pos_hi) + 1)));
  const double nb = n_[below], s1b = s1_[below], s2b = s2_[below];
  const double na = n_[bins] - n_[above], s1a = s1_[bins] - s1_[above], s2a = s2_[bins] - s2_[above];
  const double clip_low = s2b - 2 * lo * s1b + lo * lo * nb;
  const double clip_high = s2a - 2 * hi * s1a + hi * hi * na;
  const double inside = std::max(0.0, count_ - nb - na - zeros_);
  return std::max(0.0, clip_low) + std::max(0.0, clip_high) + inside * step * step / 12.0;
}

}  // namespace ez::quant
