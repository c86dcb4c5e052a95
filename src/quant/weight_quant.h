// Weights: symmetric int8 (zero point 0, levels -127..127), per channel along one axis or per
// tensor; biases: int32 with scale s_x * s_w (per output channel), as int8 runtimes expect.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace ez::quant {

struct QuantizedTensor {
  Tensor values;              // int8 (weights) or int32 (biases), the float tensor's shape
  std::vector<float> scales;  // one per channel, or one for per-tensor
  int axis = -1;              // the channel axis; -1 = per tensor
};

// `axis` < 0: per tensor. A channel that is all zero gets scale 1.
Result<QuantizedTensor> quantize_weight(const Tensor& w, int axis);

// bias[c] / (input_scale * weight_scales[c % weight_scales.size()]) rounded to int32 (saturating;
// the modulo serves grouped ConvTranspose, whose weight scales cover one group's channels).
// Per-tensor weights (one scale) give per-tensor bias scales.
Result<QuantizedTensor> quantize_bias(const Tensor& bias, float input_scale, const std::vector<float>& weight_scales);

}  // namespace ez::quant
