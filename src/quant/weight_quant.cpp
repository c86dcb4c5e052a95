#include "quant/weight_quant.h"

#include <algorithm>
#include <cmath>

namespace ez::quant {

Result<QuantizedTensor> quantize_weight(const Tensor& w, int axis) {
  if (w.dtype() != DType::kFloat32) return unsupported(std::string("quantizing a ") + dtype_name(w.dtype()) + " weight");
  if (axis >= static_cast<int>(w.rank())) return invalid_argument("weight channel axis " + std::to_string(axis) + " for rank " + std::to_string(w.rank()));
  QuantizedTensor q;
  q.axis = axis;
  const int64_t channels = axis < 0 ? 1 : w.dim(axis);
  int64_t inner = 1;
  for (int64_t d = axis + 1; axis >= 0 && d < w.rank(); ++d) inner *= w.dim(d);
  auto channel_of = [&](int64_t i) { return axis < 0 ? 0 : (i / inner) % channels; };
  const float* x = w.data<float>();
  const int64_t n = w.numel();
  std::vector<double> absmax(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return invalid_argument("weight holds a non-finite value");
    double& m = absmax[channel_of(i)];
    m = std::max(m, std::fabs(static_cast<double>(x[i])));
  }
  q.scales.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) q.scales[c] = absmax[c] > 0 ? static_cast<float>(absmax[c] / 127.0) : 1.0f;
  q.values = Tensor::zeros(DType::kInt8, w.shape());
  int8_t* out = q.values.data<int8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const double v = std::nearbyint(static_cast<double>(x[i]) / q.scales[channel_of(i)]);
    out[i] = static_cast<int8_t>(std::min(127.0, std::max(-127.0, v)));
  }
  return q;
}

Result<QuantizedTensor> quantize_bias(const Tensor& bias, float input_scale, const std::vector<float>& weight_scales) {
  if (bias.dtype() != DType::kFloat32 || bias.rank() != 1) return unsupported("quantizing a bias that is not float32[C]");
  if (weight_scales.empty()) return invalid_argument("quantize_bias: no weight scales");
  QuantizedTensor q;
  const int64_t c = bias.dim(0);
  const bool per_tensor = weight_scales.size() == 1;
  q.axis = per_tensor ? -1 : 0;
  q.scales.resize(per_tensor ? 1 : static_cast<size_t>(c));
  for (size_t i = 0; i < q.scales.size(); ++i) q.scales[i] = input_scale * weight_scales[i % weight_scales.size()];
  q.values = Tensor::zeros(DType::kInt32, bias.shape());
  for (int64_t i = 0; i < c; ++i) {
    const double s = q.scales[per_tensor ? 0 : i];
    const double v = s > 0 ? std::nearbyint(static_cast<double>(bias.data<float>()[i]) / s) : 0.0;
    q.values.data<int32_t>()[i] = static_cast<int32_t>(std::min(2147483647.0, std::max(-2147483648.0, v)));
  }
  return q;
}

}  // namespace ez::quant
