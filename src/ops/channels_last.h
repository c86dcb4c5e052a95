// Channels-last (NHWC) execution of 4-D spatial operators. The layout pass (passes/channels_last)
// sets the internal attribute `channels_last=1` on Conv, FusedConv and pooling nodes whose
// activations it keeps in NHWC between consecutive oneDNN primitives; such a node's data inputs
// and outputs are [N, H, W, C] while weights keep their ONNX layout. The fast kernels handle the
// attribute natively; every other kernel gets it through ChannelsLastAdapter, which transposes
// around the plain NCHW kernel (correct, not fast — used only when a fast path declines).
#pragma once

#include <vector>

#include "ops/kernel.h"

namespace ez::ops {

inline constexpr const char* kChannelsLastAttr = "channels_last";

bool wants_channels_last(const Attributes& attrs);

// Indices of the inputs that carry activations for this op (and so are NHWC under the
// attribute): input 0, plus FusedConv's residual (input 3).
std::vector<int> channels_last_data_inputs(const std::string& op_type);

// Shape conversions for rank-4 shapes; other ranks are returned unchanged.
Shape nchw_to_nhwc(const Shape& s);
Shape nhwc_to_nchw(const Shape& s);

// Wraps a plain NCHW kernel so it accepts and produces NHWC tensors on the given inputs and on
// all rank-4 outputs.
KernelPtr wrap_channels_last(KernelPtr nchw_kernel, std::vector<int> data_inputs);

}  // namespace ez::ops
