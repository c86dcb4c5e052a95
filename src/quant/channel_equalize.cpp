#include "quant/channel_equalize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/grid_mse.h"

namespace ez::quant {
namespace {

constexpr int kStepCandidates = 96;     // steps from the min/max fit down to 1/64 of it
constexpr double kSmallestFraction = 1.0 / 64;

struct Grid {
  int qmin, qmax;
};
Grid grid_of(ActType act) { return act == ActType::kInt8Symmetric ? Grid{-128, 127} : Grid{0, 255}; }

// The step that fits [min, max] on the grid with zero point z (0 when nothing can be fitted).
double fitting_step(const GridMse& m, int z, Grid g) {
  double s = 0;
  if (m.max() > 0 && g.qmax > z) s = std::max(s, m.max() / (g.qmax - z));
  if (m.min() < 0 && g.qmin < z) s = std::max(s, -m.min() / (z - g.qmin));
  return s;
}

struct Step {
  double step = 0, error = 0;
};

const std::vector<double>& step_fractions() {
  static const std::vector<double> f = [] {
    std::vector<double> v(kStepCandidates);
    for (int k = 0; k < kStepCandidates; ++k) v[k] = std::pow(kSmallestFraction, static_cast<double>(k) / (kStepCandidates - 1));
    return v;
  }();
  return f;
}

Step best_step(const GridMse& m, int z, Grid g) {
  const double fit = fitting_step(m, z, g);
  if (fit <= 0) return {0, m.error(1, z, g.qmin, g.qmax)};  // no data on a representable side
  Step best{fit, std::numeric_limits<double>::infinity()};
  for (double f : step_fractions()) {
    const double s = fit * f;
    const double e = m.error(s, z, g.qmin, g.qmax);
    if (e < best.error) best = {s, e};
  }
  return best;
}

}  // namespace

ChannelEqualization equalize_channels(const std::vector<TensorHistogram>& channels, const std::vector<double>& importance,
                                      ActType act, const QuantParams& per_tensor) {
  const Grid g = grid_of(act);
  const size_t n = channels.size();
  std::vector<GridMse> mse;
  mse.reserve(n);
  for (const TensorHistogram& h : channels) mse.emplace_back(h);
  auto weight = [&](size_t c) { return c < importance.size() ? importance[c] : 1.0; };

  ChannelEqualization r;
  for (size_t c = 0; c < n; ++c)
    r.error_before += weight(c) * mse[c].error(per_tensor.scale, per_tensor.zero_point, g.qmin, g.qmax);

  // The shared zero point: the one whose per-channel best steps give the least total error.
  const int z_first = act == ActType::kInt8Symmetric ? 0 : g.qmin;
  const int z_last = act == ActType::kInt8Symmetric ? 0 : g.qmax;
  double best_total = std::numeric_limits<double>::infinity();
  int best_z = per_tensor.zero_point;
  std::vector<double> steps(n, 0.0), trial(n, 0.0);
  for (int z = z_first; z <= z_last; ++z) {
    double total = 0;
    for (size_t c = 0; c < n && total < best_total; ++c) {
      const Step s = best_step(mse[c], z, g);
      trial[c] = s.step;
      total += weight(c) * s.error;
    }
    if (total < best_total) {
      best_total = total;
      best_z = z;
      steps = trial;
    }
  }
  double widest = 0;
  for (double s : steps) widest = std::max(widest, s);
  r.scale.assign(n, 1.0f);
  r.params.zero_point = best_z;
  r.params.scale = widest > 0 ? static_cast<float>(widest) : 1.0f;
  if (widest <= 0) {
    r.error_after = r.error_before;
    return r;
  }
  // Recomputed with the scales as written (float, capped), not the search's exact steps.
  r.error_after = 0;
  for (size_t c = 0; c < n; ++c) {
    if (steps[c] > 0) r.scale[c] = static_cast<float>(std::min(kMaxChannelScale, widest / steps[c]));
    r.error_after += weight(c) * mse[c].error(r.params.scale / r.scale[c], best_z, g.qmin, g.qmax);
  }
  return r;
}

std::vector<double> depthwise_importance(const Tensor& w, int64_t channels) {
  if (w.dtype() != DType::kFloat32 || w.rank() < 2 || w.dim(1) != 1 || channels <= 0 || w.dim(0) % channels != 0) return {};
  const int64_t out = w.dim(0), per_out = w.numel() / out, multiplier = out / channels;
  std::vector<double> g(static_cast<size_t>(channels), 0.0);
  const float* p = w.data<float>();
  for (int64_t o = 0; o < out; ++o) {
    double s = 0;
    for (int64_t k = 0; k < per_out; ++k) s += static_cast<double>(p[o * per_out + k]) * p[o * per_out + k];
    g[o / multiplier] += s / static_cast<double>(out);
  }
  return g;
}

std::optional<Tensor> scale_depthwise_weight(const Tensor& w, const std::vector<float>& channel_scale) {
  const int64_t channels = static_cast<int64_t>(channel_scale.size());
  if (w.dtype() != DType::kFloat32 || w.rank() < 2 || w.dim(1) != 1 || channels == 0 || w.dim(0) % channels != 0)
    return std::nullopt;
  Tensor out = Tensor::zeros(DType::kFloat32, w.shape());
  const int64_t per_out = w.numel() / w.dim(0), multiplier = w.dim(0) / channels;
  for (int64_t o = 0; o < w.dim(0); ++o) {
    const float s = channel_scale[o / multiplier];
    for (int64_t k = 0; k < per_out; ++k) out.data<float>()[o * per_out + k] = w.data<float>()[o * per_out + k] / s;
  }
  return out;
}

}  // namespace ez::quant
