#include "quant/quant_error.h"

#include <algorithm>
#include <cmath>

#include "quant/dataset_run.h"

namespace ez::quant {

namespace {

// Adds x*m and DQ(Q(x*m)) - x*m over n values to *sx, *se: the measurement's inner loop (every
// quantized activation of every sample), so written to vectorise: round half to even by adding
// and subtracting 1.5 * 2^23 (exact below 2^22, and the value is clamped well inside first),
// float sums per block of 256, double across blocks.
void add_channel(const float* v, int64_t n, float m, const QuantParams& p, float qmin, float qmax, double* sx, double* se) {
  constexpr float kRound = 12582912.0f;
  const float inv = 1.0f / p.scale, zp = static_cast<float>(p.zero_point);
  const float lo = qmin - zp, hi = qmax - zp;
  for (int64_t b = 0; b < n; b += 256) {
    const int64_t e = std::min<int64_t>(n, b + 256);
    float bx = 0, be = 0;
    for (int64_t i = b; i < e; ++i) {
      const float x = v[i] * m;
      float t = std::min(hi + 1, std::max(lo - 1, x * inv));
      t = (t + kRound) - kRound;
      t = std::min(hi, std::max(lo, t));
      bx += x;
      be += t * p.scale - x;
    }
    *sx += bx;
    *se += be;
  }
}

}  // namespace

float fake_quantize(float x, const QuantParams& p, ActType act) {
  const float qmin = act == ActType::kInt8Symmetric ? -128.0f : 0.0f;
  const float qmax = act == ActType::kInt8Symmetric ? 127.0f : 255.0f;
  const float q = std::min(qmax, std::max(qmin, std::nearbyint(x / p.scale) + static_cast<float>(p.zero_point)));
  return (q - static_cast<float>(p.zero_point)) * p.scale;
}

Result<std::map<std::string, ChannelErrorStats>> measure_quant_error(const std::string& model_path,
                                                                      const std::map<std::string, ActivationQuantizer>& quantizers,
                                                                      ActType act, const DatasetList& list, const SampleLoader& load,
                                                                      const SessionOptions& options, const Progress& progress) {
  std::vector<std::string> names;
  std::vector<const ActivationQuantizer*> quant;
  for (const auto& kv : quantizers) {
    names.push_back(kv.first);
    quant.push_back(&kv.second);
  }
  struct Sums {
    std::vector<double> x, err;
    int64_t per_channel = 0;  // values per channel seen
  };
  std::vector<Sums> sums(names.size());
  auto visit = [&](size_t k, const Tensor& t) {
    const ActivationQuantizer& q = *quant[k];
    const int64_t c = t.rank() >= 2 ? t.dim(1) : 1;
    const int64_t outer = t.rank() >= 2 ? t.dim(0) : 1;
    const int64_t inner = c > 0 && outer > 0 ? t.numel() / (outer * c) : 0;
    Sums& s = sums[k];
    if (s.x.empty()) {
      s.x.assign(static_cast<size_t>(c), 0.0);
      s.err.assign(static_cast<size_t>(c), 0.0);
    }
    if (static_cast<int64_t>(s.x.size()) != c) return;  // a shape that changes between samples
    const bool scaled = static_cast<int64_t>(q.channel_scale.size()) == c;
    const float qmin = act == ActType::kInt8Symmetric ? -128.0f : 0.0f, qmax = act == ActType::kInt8Symmetric ? 127.0f : 255.0f;
    const float* p = t.data<float>();
    for (int64_t n = 0; n < outer; ++n)
      for (int64_t j = 0; j < c; ++j)  // x_c times its scale: what the Mul in front of the quantizer computes
        add_channel(p + (n * c + j) * inner, inner, scaled ? q.channel_scale[j] : 1.0f, q.params, qmin, qmax, &s.x[j], &s.err[j]);
    s.per_channel += outer * inner;
  };
  EZ_ASSIGN_OR_RETURN(DatasetRunResult run, run_dataset(model_path, names, list, load, options, visit, progress));
  std::map<std::string, ChannelErrorStats> r;
  for (size_t k = 0; k < names.size(); ++k) {
    if (!run.visited[k] || sums[k].per_channel == 0) continue;
    ChannelErrorStats st;
    const double n = static_cast<double>(sums[k].per_channel);
    for (size_t j = 0; j < sums[k].x.size(); ++j) {
      st.mean.push_back(sums[k].x[j] / n);
      st.error.push_back(sums[k].err[j] / n);
    }
    r[names[k]] = std::move(st);
  }
  return r;
}

}  // namespace ez::quant
