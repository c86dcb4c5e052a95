#include "quant/calib_range.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ez::quant {

Result<CalibAlgo> parse_calib_algo(const std::string& text) {
  if (text == "minmax") return CalibAlgo::kMinMax;
  if (text == "percentile") return CalibAlgo::kPercentile;
  if (text == "kl" || text == "entropy") return CalibAlgo::kKL;
  if (text == "mse") return CalibAlgo::kMSE;
  return invalid_argument("unknown calibration algorithm '" + text + "' (expected minmax, percentile, kl or mse)");
}

const char* calib_algo_name(CalibAlgo a) {
  switch (a) {
    case CalibAlgo::kMinMax: return "minmax";
    case CalibAlgo::kPercentile: return "percentile";
    case CalibAlgo::kKL: return "kl";
    case CalibAlgo::kMSE: return "mse";
  }
  return "?";
}

namespace {

// Smallest upper bin edge with at least `fraction` of the total at or below it.
double quantile_upper_edge(const std::vector<double>& bins, double lower_edge, double width, double fraction) {
  double total = 0;
  for (double c : bins) total += c;
  const double want = fraction * total;
  double acc = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    acc += bins[i];
    if (acc >= want) return lower_edge + (static_cast<double>(i) + 1) * width;
  }
  return lower_edge + static_cast<double>(bins.size()) * width;
}

Range percentile_range(const TensorHistogram& h, double p, ActType act) {
  const double frac = std::min(1.0, std::max(0.0, p / 100.0));
  if (act == ActType::kInt8Symmetric) {
    const double t = quantile_upper_edge(h.abs_bins(), 0.0, h.bin_width(), frac);
    return {static_cast<float>(std::max<double>(h.min(), -t)), static_cast<float>(std::min<double>(h.max(), t))};
  }
  const std::vector<double>& b = h.bins();
  const double hi = quantile_upper_edge(b, -h.range(), h.bin_width(), frac);
  std::vector<double> rev(b.rbegin(), b.rend());  // the lower tail, from the top down
  const double lo = -quantile_upper_edge(rev, -h.range(), h.bin_width(), frac);
  return {static_cast<float>(std::max<double>(h.min(), lo)), static_cast<float>(std::min<double>(h.max(), hi))};
}

// Expected squared error of quantizing the histogram over [lo, hi]: s^2/12 for values inside
// (uniform rounding noise: the bins are wider than a step for small ranges, so evaluating the
// rounding at bin centres would be noise itself), the clipping distance squared outside.
double quantization_mse(const TensorHistogram& h, double lo, double hi, ActType act) {
  double s;
  if (act == ActType::kInt8Symmetric) {
    s = std::max(std::fabs(lo), std::fabs(hi)) / 127.0;
  } else {
    s = (std::max(hi, 0.0) - std::min(lo, 0.0)) / 255.0;
  }
  const double noise = s * s / 12.0;
  const std::vector<double>& b = h.bins();
  const double w = h.bin_width();
  double err = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    if (b[i] == 0) continue;
    const double x = -h.range() + (static_cast<double>(i) + 0.5) * w;
    const double d = x > hi ? x - hi : (x < lo ? lo - x : 0.0);
    err += b[i] * (d * d + noise);
  }
  return err;
}

}  // namespace

double kl_threshold(const std::vector<double>& fine_bins, double bin_width, int target_bins) {
  // Integer-valued data (pixels) fills only every k-th fine bin; KL between such a comb and its
  // smoothed quantization is meaningless, so merge bin pairs until at most half the bins of the
  // bulk (99.9% of the mass; a long tail's gaps do not count) are empty, or the histogram would
  // get too coarse to search.
  std::vector<double> abs_bins = fine_bins;
  double mass = 0;
  for (double c : abs_bins) mass += c;
  for (;;) {
    int bulk_end = 0;
    for (double acc = 0; bulk_end < static_cast<int>(abs_bins.size()) && acc < 0.999 * mass; ++bulk_end) acc += abs_bins[bulk_end];
    int empty = 0;
    for (int j = 0; j < bulk_end; ++j) empty += abs_bins[j] == 0;
    if (2 * empty <= bulk_end || static_cast<int>(abs_bins.size()) < 4 * target_bins) break;
    std::vector<double> merged(abs_bins.size() / 2);
    for (size_t j = 0; j < merged.size(); ++j) merged[j] = abs_bins[2 * j] + abs_bins[2 * j + 1];
    abs_bins.swap(merged);
    bin_width *= 2;
  }
  const int n = static_cast<int>(abs_bins.size());
  int last = n - 1;
  while (last > 0 && abs_bins[last] == 0) --last;
  if (last + 1 <= target_bins) return (last + 1) * bin_width;  // already fits: no clipping
  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = last + 1;
  std::vector<double> p, q, tail(n + 1, 0.0);  // tail[i] = sum of bins i..n-1
  for (int j = n - 1; j >= 0; --j) tail[j] = tail[j + 1] + abs_bins[j];
  for (int i = target_bins; i <= last + 1; ++i) {
    // Reference P: the first i bins, the clipped tail folded into the last one.
    p.assign(abs_bins.begin(), abs_bins.begin() + i);
    p[i - 1] += tail[i];
    // Candidate Q: the first i bins merged into target_bins levels, each level's count spread
    // evenly over the bins of that level that were non-empty.
    q.assign(i, 0.0);
    const double step = static_cast<double>(i) / target_bins;
    for (int k = 0; k < target_bins; ++k) {
      const int start = static_cast<int>(std::floor(k * step));
      const int end = k == target_bins - 1 ? i : static_cast<int>(std::floor((k + 1) * step));
      double sum = 0;
      int nonzero = 0;
      for (int j = start; j < end; ++j) {
        sum += abs_bins[j];
        nonzero += abs_bins[j] != 0;
      }
      if (nonzero == 0) continue;
      for (int j = start; j < end; ++j)
        if (abs_bins[j] != 0) q[j] = sum / nonzero;
    }
    double ps = 0, qs = 0;
    for (int j = 0; j < i; ++j) {
      ps += p[j];
      qs += q[j];
    }
    if (ps == 0 || qs == 0) continue;
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      if (p[j] == 0) continue;
      const double pj = p[j] / ps;
      // A bin P has but Q lost (only the folded last bin can be): a small floor keeps KL finite.
      const double qj = q[j] > 0 ? q[j] / qs : 1e-12;
      kl += pj * std::log(pj / qj);
    }
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return (best_i + 0.5) * bin_width;
}

double mse_fraction(const TensorHistogram& h, ActType act) {
  if (h.count() == 0 || h.bins().empty()) return 1.0;
  const double a = std::max(std::fabs(static_cast<double>(h.min())), std::fabs(static_cast<double>(h.max())));
  constexpr int kSteps = 200;  // fractions 1/200 .. 1
  double best = std::numeric_limits<double>::infinity(), best_f = 1.0;
  for (int k = 1; k <= kSteps; ++k) {
    const double f = static_cast<double>(k) / kSteps;
    const double lo = act == ActType::kInt8Symmetric ? -f * a : f * h.min();
    const double hi = act == ActType::kInt8Symmetric ? f * a : f * h.max();
    const double e = quantization_mse(h, lo, hi, act);
    if (e < best) {
      best = e;
      best_f = f;
    }
  }
  return best_f;
}

Range choose_range(const TensorHistogram& h, const RangeOptions& o) {
  if (h.count() == 0) return {};
  const Range full{h.min(), h.max()};
  if (h.bins().empty()) return full;  // all zeros
  switch (o.algo) {
    case CalibAlgo::kMinMax: return full;
    case CalibAlgo::kPercentile: return percentile_range(h, o.percentile, o.act);
    case CalibAlgo::kKL: {
      const double t = kl_threshold(h.abs_bins(), h.bin_width());
      return {static_cast<float>(std::max<double>(h.min(), -t)), static_cast<float>(std::min<double>(h.max(), t))};
    }
    case CalibAlgo::kMSE: {
      const double f = mse_fraction(h, o.act);
      if (o.act == ActType::kInt8Symmetric) {
        const double a = f * std::max(std::fabs(static_cast<double>(h.min())), std::fabs(static_cast<double>(h.max())));
        return {static_cast<float>(std::max<double>(h.min(), -a)), static_cast<float>(std::min<double>(h.max(), a))};
      }
      return {static_cast<float>(f * h.min()), static_cast<float>(f * h.max())};
    }
  }
  return full;
}

namespace {

// `levels`: the grid's top (255 or 65535) when asymmetric; symmetric grids use +-(levels / 2).
QuantParams params_on_grid(Range r, ActType act, double levels) {
  const double lo = std::min<double>(r.lo, 0.0), hi = std::max<double>(r.hi, 0.0);
  QuantParams p;
  if (act == ActType::kInt8Symmetric) {
    const double a = std::max(-lo, hi);
    p.scale = a > 0 ? static_cast<float>(a / std::floor(levels / 2)) : 1.0f;
    p.zero_point = 0;
    return p;
  }
  if (hi - lo <= 0) return p;
  p.scale = static_cast<float>((hi - lo) / levels);
  const double zp = std::nearbyint(-lo / static_cast<double>(p.scale));
  p.zero_point = static_cast<int32_t>(std::min(levels, std::max(0.0, zp)));
  return p;
}

}  // namespace

QuantParams activation_params(Range r, ActType act) { return params_on_grid(r, act, 255); }
QuantParams activation_params16(Range r, ActType act) { return params_on_grid(r, act, 65535); }

std::optional<QuantParams> exact_integer_params(const TensorHistogram& h, ActType act) {
  if (!h.integers()) return std::nullopt;
  const double lo = std::min<double>(h.min(), 0.0), hi = std::max<double>(h.max(), 0.0);
  if (act == ActType::kInt8Symmetric) {
    if (lo < -128 || hi > 127) return std::nullopt;
    return QuantParams{1.0f, 0};
  }
  if (hi - lo > 255) return std::nullopt;
  return QuantParams{1.0f, static_cast<int32_t>(-lo)};
}

}  // namespace ez::quant
