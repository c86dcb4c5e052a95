// Rewrites an ONNX model in place into its QDQ form: Q->DQ pairs on the planned activations,
// int8 weights and int32 biases behind DequantizeLinear, float originals dropped when unused.
#pragma once

#include <map>
#include <string>

#include "onnx/onnx_pb.h"
#include "quant/calib_range.h"
#include "quant/qdq_plan.h"

namespace ez::quant {

struct QdqCounts {
  int nodes = 0, activations = 0, weights = 0, biases = 0;
};

// `act` holds the parameters of every activation to quantize; a planned activation without an
// entry (not float, not calibrated) stays float, and so does every node reading it. Weights are
// read from initializers (external data resolved against `external_dir`).
Result<QdqCounts> insert_qdq(onnx::ModelProto* model, const QdqPlan& plan, const std::map<std::string, QuantParams>& act,
                             ActType act_type, const std::string& external_dir);

// Makes the default-domain opset at least `min_opset` (13 for per-channel DequantizeLinear, 10 for
// per tensor: QuantizeLinear's first version) with ONNX's version converter, and the IR version
// at least 7 (with opset >= 13) or 5. Returns the opset before.
Result<int> upgrade_opset(onnx::ModelProto* model, int min_opset);

}  // namespace ez::quant
