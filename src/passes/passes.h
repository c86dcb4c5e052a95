// Individual graph passes (each in its own file).
#pragma once

#include "graph/graph.h"

namespace ez {

// Identity and inference-mode Dropout: readers take the input directly.
Status remove_identity_nodes(Graph& graph);
// Conv/ConvTranspose + BatchNormalization and per-channel constant Mul/Div/Add/Sub (constant
// parameters) -> folded into the weights and bias.
Status fold_conv_affine(Graph& graph);
// DequantizeLinear -> Conv/MatMul [-> Relu/Clip] -> QuantizeLinear -> QLinearConv/QLinearMatMul
// (int8 weights kept); DequantizeLinear of constants left over -> float constants.
Status fuse_qdq(Graph& graph);
// ConvInteger -> Cast(float) -> Mul(scalar) [-> Add(per-channel constant)] -> one ConvInteger
// writing float (internal inputs 4, 5 and attribute output_float).
Status fuse_conv_integer_output(Graph& graph);
// Stride-1 "same" MaxPools of one tensor with growing windows (SPP: 5, 9, 13) -> each reads the
// previous one's output with the window difference (5, 5, 5); exact.
Status cascade_max_pools(Graph& graph);
// Concat of strided Slices of one tensor (the Focus stem) -> SpaceToDepthBlocks.
Status fuse_space_to_depth(Graph& graph);
// x * Clip(x + 3, 0, 6) / 6 -> HardSwish(x).
Status fuse_hardswish(Graph& graph);
// FusedConv with an activation + scalar Mul/Add -> the FusedConv's output_scale/output_shift.
Status fuse_output_affine(Graph& graph);
// Conv + activation (incl. SiLU as x*sigmoid(x)) -> FusedConv.
Status fuse_conv_activation(Graph& graph);
// Mul(x, Sigmoid(x)) left after the conv fusion -> Silu(x) (edgezoo-internal).
Status fuse_silu(Graph& graph);
// Conv/FusedConv + residual Add of the same shape -> FusedConv with a 4th input.
// Needs value shapes, so it runs after shapes are known (see optimize_graph).
Status fuse_conv_add(Graph& graph);

// Keeps 4-D float activations in NHWC between convolutions, pooling and layout-agnostic operators
// (channels_last attribute + Transpose nodes where layouts meet). Only for fast (oneDNN) kernels.
Status convert_to_channels_last(Graph& graph);
// Transpose(Concat(Reshape(Transpose(nhwc -> nchw)) ...)) flattening detection-head maps into
// [N, rows, C] -> Concat of the NHWC maps reshaped to rows (runs after convert_to_channels_last).
Status fold_flatten_transposes(Graph& graph);
// Transpose(NCHW -> NHWC) -> SpaceToDepthBlocks(channels_last) -> the gather reading NCHW itself
// (nchw_input=1; runs after convert_to_channels_last).
Status fold_space_to_depth_transpose(Graph& graph);
// A float-result QLinearConv's per-tensor QuantizeLinear readers -> its extra 8-bit outputs
// (runs after convert_to_channels_last).
Status fuse_conv_output_quantize(Graph& graph);

}  // namespace ez
