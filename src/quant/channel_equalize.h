// Per-channel scaling of an activation read only by depthwise convolutions.
//
// A per-tensor quantizer gives every channel the same step, so a channel spanning 0.2 next to one
// spanning 120 keeps two or three levels: yolox_nano's first depthwise convolution (Conv_44)
// reads such a tensor and multiplies its small channels by weights of norm up to 23, which alone
// costs 5 AP points. Feeding x_c * s_c to the quantizer and dividing the depthwise weights of
// channel c by s_c computes the same in float and gives channel c the step D / s_c: per-channel
// quantization with a shared zero point, written as a Mul by a constant and a standard per-tensor
// QuantizeLinear. It is exact only for depthwise consumers (each output channel reads one input
// channel), where per-channel weight quantization absorbs the 1/s_c with the same int8 values;
// across the SiLU before such a layer the scale cannot be folded into the previous convolution
// as cross-layer equalization does for ReLU networks.
#pragma once

#include <optional>
#include <vector>

#include "core/tensor.h"
#include "quant/calib_range.h"
#include "quant/histogram.h"

namespace ez::quant {

struct ChannelEqualization {
  std::vector<float> scale;  // s_c >= 1 (1 for channels without data)
  QuantParams params;        // the per-tensor quantizer of the scaled tensor
  double error_before = 0;   // importance-weighted expected squared error with `per_tensor`
  double error_after = 0;    // the same with the per-channel steps
  // Worth a Mul node: the expected error at least halves.
  bool worthwhile() const { return error_after <= 0.5 * error_before; }
};

// The largest s_c: keeps int32 biases (scale s_x * s_w / s_c) far from overflowing.
constexpr double kMaxChannelScale = 4096;

// `importance[c]`: what an error in channel c costs downstream (depthwise_importance). Each
// channel gets the step with the least expected squared error for a shared zero point (uint8:
// the best of 0..255; int8: 0), found on its histogram; `per_tensor` is the algorithm's choice
// for the whole tensor, for error_before.
ChannelEqualization equalize_channels(const std::vector<TensorHistogram>& channels, const std::vector<double>& importance,
                                      ActType act, const QuantParams& per_tensor);

// The depthwise weight [C * m, 1, k...] for an input scaled by `channel_scale` (C values): output
// channel o divided by channel_scale[o / m]. Nothing when the shapes do not fit.
std::optional<Tensor> scale_depthwise_weight(const Tensor& w, const std::vector<float>& channel_scale);

// Mean squared weight per output element reaching each of `channels` input channels from a
// depthwise weight [channels * m, 1, k...]: the factor by which channel c's squared input error
// shows in the convolution's output. Empty when `w` is not such a weight.
std::vector<double> depthwise_importance(const Tensor& w, int64_t channels);

}  // namespace ez::quant
