// Bias correction: the expected shift of a layer's output that quantization causes, per output
// channel, so that it can be subtracted from the bias. A convolution is linear, so with W the
// float weight, Wq its dequantized int8 version and x, xq the float and quantized inputs
//   E[Wq xq] - E[W x] = (Wq - W) E[x] + Wq E[xq - x]
// per output channel, from the per-channel means of the input and of its quantization error
// (measured on the calibration set: quant_error.h). The first term is the bias correction of
// Nagel et al. (data-free quantization, 2019; AIMET), the second the same for the activation
// quantizer, whose clipping shifts means. Zero padding quantizes exactly and is ignored, so the
// border outputs of a small feature map are corrected slightly too much.
#pragma once

#include <optional>
#include <vector>

#include "core/tensor.h"
#include "onnx/onnx_pb.h"
#include "quant/quant_error.h"

namespace ez::quant {

// Conv: w and wq [O, C/group, k...]; `in` has C channels. Empty when the shapes disagree.
std::vector<double> conv_output_shift(const Tensor& w, const Tensor& wq, int64_t group, const ChannelErrorStats& in);

// Gemm Y = A B (transA = 0; alpha and beta applied by the caller): b and bq [K, N] or, with
// trans_b, [N, K]; `in` has K channels (A's axis 1). Empty when the shapes disagree.
std::vector<double> gemm_output_shift(const Tensor& b, const Tensor& bq, bool trans_b, const ChannelErrorStats& in);

// The float values of an int8 weight quantized along `axis` with `scales` (one for per tensor).
Tensor dequantize_weight(const Tensor& q, const std::vector<float>& scales, int axis);

// For a quantized node (Conv, or Gemm with transA = 0): its bias minus the expected output shift
// (`bias` null: a Conv's zero bias). Nothing when the node is of another kind or the shapes do
// not fit.
std::optional<Tensor> corrected_bias(const onnx::NodeProto& node, const Tensor* bias, const Tensor& w, const Tensor& wq,
                                     const ChannelErrorStats& in);

}  // namespace ez::quant
