// Where QuantizeLinear/DequantizeLinear pairs go (ONNX Runtime's default QDQ placement): the float
// activation inputs of Conv, ConvTranspose, MatMul and Gemm get a Q->DQ pair; their constant
// weights become int8 initializers behind a DequantizeLinear; their biases become int32.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "onnx/onnx_pb.h"

namespace ez::quant {

struct NodeQuant {
  int node = -1;                        // index in graph.node
  std::vector<int> activation_inputs;   // input slots fed through Q->DQ
  int weight_input = -1;                // the constant weight's slot, -1 if none
  int weight_axis = -1;                 // its per-channel axis (DequantizeLinear's `axis`); -1 per tensor
  int bias_input = -1;                  // the constant bias's slot (Conv/ConvTranspose/Gemm), -1 if none
};

struct QdqPlan {
  std::vector<NodeQuant> nodes;
  std::vector<std::string> activations;  // every tensor to calibrate, in first-use order
  std::vector<std::string> notes;        // nodes left in float and why
};

// Constant tensors by name: initializers and the `value` of Constant nodes (exporters such as
// Paddle's keep every weight in a Constant node).
std::map<std::string, const onnx::TensorProto*> constant_tensors(const onnx::GraphProto& graph);

// Gives every unnamed node the name edgezoo's importer would ("<OpType>_<k>", k counting unnamed
// nodes), so --exclude names and reports match `edgezoo info` and the written model.
void name_unnamed_nodes(onnx::GraphProto* graph);

// Not found naming `option` (e.g. "--exclude") when a name in `names` is no node of the graph.
Status check_node_names(const onnx::GraphProto& graph, const std::set<std::string>& names, const std::string& option);

// `per_channel` false: every weight per tensor. Errors: a name in `exclude` that is no node of the
// graph; no quantizable node (none at all, or all excluded).
Result<QdqPlan> plan_qdq(const onnx::GraphProto& graph, const std::set<std::string>& exclude, bool per_channel);

}  // namespace ez::quant
