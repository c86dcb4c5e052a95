#include "quant/qdq_plan.h"

#include <map>

namespace ez::quant {

void name_unnamed_nodes(onnx::GraphProto* graph) {
  int unnamed = 0;
  for (auto& n : *graph->mutable_node())
    if (n.name().empty()) n.set_name(n.op_type() + "_" + std::to_string(unnamed++));
}

namespace {

bool is_default_domain(const onnx::NodeProto& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

}  // namespace

std::map<std::string, const onnx::TensorProto*> constant_tensors(const onnx::GraphProto& g) {
  std::map<std::string, const onnx::TensorProto*> c;
  for (const auto& t : g.initializer()) c[t.name()] = &t;
  for (const auto& n : g.node())
    if (n.op_type() == "Constant" && is_default_domain(n) && n.output_size() == 1)
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t()) c[n.output(0)] = &a.t();
  return c;
}

namespace {

int64_t int_attr(const onnx::NodeProto& n, const std::string& name, int64_t dflt) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return dflt;
}

}  // namespace

Status check_node_names(const onnx::GraphProto& g, const std::set<std::string>& names, const std::string& option) {
  std::set<std::string> nodes;
  for (const auto& n : g.node()) nodes.insert(n.name());
  for (const std::string& e : names)
    if (!nodes.count(e)) return not_found(option + " names '" + e + "', which is not a node of the model");
  return Status::OK();
}

Result<QdqPlan> plan_qdq(const onnx::GraphProto& g, const std::set<std::string>& exclude, bool per_channel) {
  const std::map<std::string, const onnx::TensorProto*> inits = constant_tensors(g);
  std::set<std::string> constants;  // Constant-node outputs of other forms (value_float...): left alone
  for (const auto& n : g.node())
    if (n.op_type() == "Constant" && is_default_domain(n))
      for (const auto& o : n.output()) constants.insert(o);
  EZ_RETURN_IF_ERROR(check_node_names(g, exclude, "--exclude"));

  auto float_init = [&](const std::string& name) -> const onnx::TensorProto* {
    auto it = inits.find(name);
    return it != inits.end() && it->second->data_type() == onnx::TensorProto::FLOAT ? it->second : nullptr;
  };
  auto is_constant = [&](const std::string& name) { return inits.count(name) > 0 || constants.count(name) > 0; };

  QdqPlan plan;
  std::set<std::string> seen;
  int candidates = 0;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    const std::string& op = n.op_type();
    if (!is_default_domain(n) || (op != "Conv" && op != "ConvTranspose" && op != "MatMul" && op != "Gemm")) continue;
    ++candidates;
    if (exclude.count(n.name())) continue;
    if (n.input_size() < 2 || n.input(0).empty() || n.input(1).empty()) continue;
    NodeQuant q;
    q.node = i;
    if (is_constant(n.input(0))) {
      plan.notes.push_back(op + " '" + n.name() + "' kept in float: its first input is a constant");
      continue;
    }
    q.activation_inputs.push_back(0);
    const onnx::TensorProto* w = float_init(n.input(1));
    if (w) {
      q.weight_input = 1;
      const int rank = w->dims_size();
      if (per_channel && rank >= 1) {
        if (op == "Conv") q.weight_axis = 0;
        else if (op == "ConvTranspose") q.weight_axis = rank >= 2 ? 1 : -1;
        else if (op == "Gemm") q.weight_axis = rank == 2 ? (int_attr(n, "transB", 0) ? 0 : 1) : -1;
        else q.weight_axis = rank >= 2 ? rank - 1 : -1;  // MatMul: per output column
      }
      // A bias is quantized only when it is a plain float[output channels] initializer.
      if ((op == "Conv" || op == "ConvTranspose" || op == "Gemm") && n.input_size() >= 3 && !n.input(2).empty()) {
        const onnx::TensorProto* b = float_init(n.input(2));
        if (b && b->dims_size() == 1) q.bias_input = 2;
      }
    } else if (is_constant(n.input(1))) {
      plan.notes.push_back(op + " '" + n.name() + "' kept in float: its weight is not a float tensor constant");
      continue;
    } else if (op == "MatMul" || op == "Gemm") {
      q.activation_inputs.push_back(1);  // activation x activation product
    } else {
      plan.notes.push_back(op + " '" + n.name() + "' kept in float: its weight is computed at run time");
      continue;
    }
    for (int slot : q.activation_inputs)
      if (seen.insert(n.input(slot)).second) plan.activations.push_back(n.input(slot));
    plan.nodes.push_back(std::move(q));
  }
  if (candidates == 0) return unsupported("the model has no quantizable operator (Conv, ConvTranspose, MatMul or Gemm)");
  if (plan.nodes.empty()) return unsupported("no operator left to quantize (" + std::to_string(candidates) + " candidates, all excluded or kept in float)");
  return plan;
}

}  // namespace ez::quant
