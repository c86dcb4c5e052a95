#include "runtime/model_info.h"

namespace ez {

int64_t node_macs(const Graph& g, const Node& n) {
  auto desc = [&](ValueId v) -> const TensorDesc& { return g.value(v).desc; };
  // QLinearConv (x, x_scale, x_zp, w, ...) and QLinearMatMul (a, a_scale, a_zp, b, ...) take the
  // weight fourth; every other counted op second.
  const size_t wi = n.op_type == "QLinearConv" || n.op_type == "QLinearMatMul" ? 3 : 1;
  if (n.inputs.size() <= wi || n.inputs[0] == kNoValue || n.inputs[wi] == kNoValue || n.outputs.empty()) return 0;
  const TensorDesc& x = desc(n.inputs[0]);
  const TensorDesc& w = desc(n.inputs[wi]);
  const TensorDesc& y = desc(n.outputs[0]);
  if (!shape_is_static(x.shape) || !shape_is_static(w.shape) || !shape_is_static(y.shape) || w.shape.size() < 2 ||
      x.shape.empty() || y.shape.empty())
    return 0;
  const std::string& op = n.op_type;
  if (op == "Conv" || op == "FusedConv" || op == "ConvInteger" || op == "QLinearConv") {
    int64_t k = 1;  // per output element: Cin/group * kernel area = W dims 1..
    for (size_t i = 1; i < w.shape.size(); ++i) k *= w.shape[i];
    return shape_numel(y.shape) * k;
  }
  if (op == "ConvTranspose") {
    int64_t k = 1;  // per input element: Cout/group * kernel area
    for (size_t i = 1; i < w.shape.size(); ++i) k *= w.shape[i];
    return shape_numel(x.shape) * k;
  }
  if (op == "MatMul" || op == "MatMulInteger" || op == "QLinearMatMul" || op == "Gemm") {
    const int64_t kdim = op == "Gemm" && n.attrs.get_int("transA", 0) ? x.shape.front() : x.shape.back();
    return shape_numel(y.shape) * kdim;
  }
  return 0;
}

ModelFigures model_figures(const Graph& imported, const Graph& planned) {
  ModelFigures f;
  for (const Node& n : imported.nodes()) f.op_counts[n.op_type]++;
  for (size_t i = 0; i < imported.num_values(); ++i) {
    const Value& v = imported.value(static_cast<ValueId>(i));
    const DType t = v.constant.dtype();
    if (v.is_constant() && (dtype_is_float(t) || t == DType::kInt8 || t == DType::kUInt8) && v.constant.numel() > 1)
      f.parameters += v.constant.numel();
  }
  f.macs = 0;
  for (const Node& n : planned.nodes()) {
    if (!n.outputs.empty() && !shape_is_static(planned.value(n.outputs[0]).desc.shape)) {
      f.macs = -1;
      break;
    }
    f.macs += node_macs(planned, n);
  }
  return f;
}

}  // namespace ez
