// Rewrites an ONNX model in place into its QDQ form: Q->DQ pairs on the planned activations,
// int8 weights and int32 biases behind DequantizeLinear, float originals dropped when unused.
// Optionally per activation: a Mul by per-channel constants in front of its quantizer, whose
// inverse goes into the depthwise weights reading it (channel_equalize.h), bias correction of the
// layers reading it (bias_correction.h), or 16 bits instead of 8 (QuantizeOptions::int16).
#pragma once

#include <map>
#include <string>

#include "onnx/onnx_pb.h"
#include "quant/calib_range.h"
#include "quant/qdq_plan.h"
#include "quant/quant_error.h"

namespace ez::quant {

struct QdqCounts {
  int nodes = 0, activations = 0, weights = 0, biases = 0;
  int int16_activations = 0;  // of `activations`, written with 16 bits
  int equalized = 0;         // activations given per-channel scales
  int corrected_biases = 0;  // layers whose bias was corrected
};

struct ActivationQuant {
  ActivationQuantizer quantizer;  // params, and channel scales (only if every reader is a depthwise Conv)
  ChannelErrorStats error;        // empty: the readers' biases are not corrected
  // 16 bits (quantizer.params on that grid, no channel scales): com.microsoft Q/DQ with a uint16
  // (int16 when symmetric) zero point; its readers keep float biases.
  bool int16 = false;
};

// `act` holds every activation to quantize; a planned activation without an entry (not float,
// not calibrated) stays float, and so does every node reading it. Weights are read from
// initializers (external data resolved against `external_dir`). Bias correction applies to the
// biases of Conv and of Gemm with transA = 0 (a layer without a bias keeps none).
Result<QdqCounts> insert_qdq(onnx::ModelProto* model, const QdqPlan& plan, const std::map<std::string, ActivationQuant>& act,
                             ActType act_type, const std::string& external_dir);

// Makes the default-domain opset at least `min_opset` (13 for per-channel DequantizeLinear, 10 for
// per tensor: QuantizeLinear's first version) with ONNX's version converter, and the IR version
// at least 7 (with opset >= 13) or 5. Returns the opset before.
Result<int> upgrade_opset(onnx::ModelProto* model, int min_opset);

}  // namespace ez::quant
