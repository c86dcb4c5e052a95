#include "quant/fill_align.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/channel_equalize.h"
#include "quant/dataset_run.h"

namespace ez::quant {
namespace {

// The grid of an 8-bit quantizer: levels q in [lo, hi] with x = (q - zero_point) * scale.
void levels(ActType act, int* lo, int* hi) {
  *lo = act == ActType::kInt8Symmetric ? -127 : 0;
  *hi = act == ActType::kInt8Symmetric ? 127 : 255;
}

}  // namespace

Result<std::map<std::string, std::vector<float>>> fill_plateaus(const std::string& model_path,
                                                                 const std::vector<std::string>& tensors,
                                                                 const FillInput& fill_input, const SessionOptions& options) {
  std::map<std::string, std::vector<float>> out;
  std::vector<std::vector<float>> found(tensors.size());
  auto visit = [&](size_t k, const Tensor& t) {
    if (t.rank() != 4 || t.dim(0) != 1) return;
    const int64_t c = t.dim(1), h = t.dim(2), w = t.dim(3);
    std::vector<float>& v = found[k];
    v.assign(static_cast<size_t>(c), std::numeric_limits<float>::quiet_NaN());
    for (int64_t j = 0; j < c; ++j) {
      const float* m = t.data<float>() + j * h * w;
      const float centre = m[(h / 2) * w + w / 2];
      const float tol = 1e-4f * std::max(1.0f, std::fabs(centre));
      bool flat = true;
      for (int64_t y = h / 4; y < h - h / 4 && flat; ++y)
        for (int64_t x = w / 4; x < w - w / 4 && flat; ++x) flat = std::fabs(m[y * w + x] - centre) <= tol;
      if (flat) v[j] = centre;
    }
  };
  DatasetList one;
  one.name = "the letterbox fill";
  one.entries.push_back({"(a picture of the fill colour)", 0});
  const SampleLoader load = [&fill_input](const std::string&, const IOInfo& input) { return fill_input(input); };
  EZ_ASSIGN_OR_RETURN(DatasetRunResult run, run_dataset(model_path, tensors, one, load, options, visit));
  for (size_t k = 0; k < tensors.size(); ++k)
    if (run.visited[k] && !found[k].empty()) out[tensors[k]] = std::move(found[k]);
  return out;
}

int align_channel_scales(TensorReport* tr, const std::vector<float>& values, ActType act) {
  if (tr->channel_scale.size() != values.size()) return 0;
  int lo, hi, moved = 0;
  levels(act, &lo, &hi);
  for (size_t k = 0; k < values.size(); ++k) {
    if (std::isnan(values[k])) continue;
    const double u = double(values[k]) * tr->channel_scale[k] / tr->params.scale;
    // The nearest level, or the next one out when the nearest would take s_k below 1 (the
    // equalizer's floor: a channel's step never grows beyond the per-tensor one).
    double q = std::nearbyint(u);
    if (q != 0 && tr->channel_scale[k] * q / u < 1) q += u > 0 ? 1 : -1;
    if (q == 0 || q + tr->params.zero_point < lo || q + tr->params.zero_point > hi) continue;
    const double s = tr->channel_scale[k] * q / u;
    if (s > kMaxChannelScale || s < 1) continue;
    tr->channel_scale[k] = static_cast<float>(s);
    ++moved;
  }
  return moved;
}

bool align_tensor_scale(TensorReport* tr, const std::vector<float>& values, ActType act) {
  int lo, hi;
  levels(act, &lo, &hi);
  const double s0 = tr->params.scale;
  const int z = tr->params.zero_point;
  auto error = [&](double s) {
    double e = 0;
    for (float v : values) {
      if (std::isnan(v)) continue;
      const double q = std::clamp(std::nearbyint(v / s) + z, double(lo), double(hi));
      const double d = v - (q - z) * s;
      e += d * d;
    }
    return e;
  };
  constexpr int kSteps = 3000;
  double best_s = s0, best = error(s0);
  for (int i = -kSteps; i <= kSteps; ++i) {
    const double s = s0 * (1 + kFillScaleSlack * i / kSteps);
    const double e = error(s);
    if (e < best * (1 - 1e-9)) {
      best = e;
      best_s = s;
    }
  }
  if (best_s == s0) return false;
  tr->params.scale = static_cast<float>(best_s);
  tr->range = {static_cast<float>((lo - z) * best_s), static_cast<float>((hi - z) * best_s)};
  return true;
}

}  // namespace ez::quant
