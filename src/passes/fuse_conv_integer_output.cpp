// ONNX Runtime's dynamically quantized convolutions end in three passes over the whole output,
//   ConvInteger -> Cast(to float) -> Mul(s) -> Add(bias)        (s = x_scale * w_scale, a scalar
// computed at run time; bias per output channel, constant),
// which become one ConvInteger with internal inputs 4 (s) and 5 (bias, [M]) and attribute
// output_float=1: it writes y = float(acc) * s + bias[m] itself, the same float operations in the
// same order (ops/quant/integer_ops.cpp, ops/dnnl/conv_integer_dnnl.cpp). The Add is optional.
// Measured on models/yolov8n_int8_dynamic.onnx: Cast, Mul and Add took 8.6 of 70 ms.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

bool plain(const Node& n, const char* op) { return n.op_type == op && n.domain.empty() && n.outputs.size() == 1; }

}  // namespace

Status fuse_conv_integer_output(Graph& g) {
  const auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& conv = g.nodes()[i];
    if (!plain(conv, "ConvInteger") || conv.inputs.size() > 4 || conv.attrs.has("output_float")) continue;
    const int c = sole_reader(g, readers, conv.outputs[0]);
    DType to = DType::kUndefined;
    if (c < 0 || !plain(g.nodes()[c], "Cast") || !dtype_from_onnx(static_cast<int>(g.nodes()[c].attrs.get_int("to", 0)), &to) ||
        to != DType::kFloat32)
      continue;
    const ValueId cast_out = g.nodes()[c].outputs[0];
    const int m = sole_reader(g, readers, cast_out);
    if (m < 0 || !plain(g.nodes()[m], "Mul")) continue;
    const ValueId s = other_operand(g.nodes()[m], cast_out);
    if (s == kNoValue || s == cast_out || g.value(s).desc.dtype != DType::kFloat32 || shape_numel(g.value(s).desc.shape) != 1) continue;
    const ValueId scaled = g.nodes()[m].outputs[0];
    const Shape& y = g.value(scaled).desc.shape;
    if (y.size() < 3 || !shape_is_static(y)) continue;
    int last = m;
    ValueId bias = kNoValue;
    const int a = sole_reader(g, readers, scaled);
    if (a >= 0 && plain(g.nodes()[a], "Add")) {
      const ValueId b = other_operand(g.nodes()[a], scaled);
      std::vector<double> per_channel;
      if (b != kNoValue && b != scaled && g.value(b).is_constant() && g.value(b).constant.dtype() == DType::kFloat32 &&
          g.value(b).desc.shape.size() <= y.size() && per_channel_values(g.value(b).constant, y.size(), y[1], &per_channel)) {
        Tensor t = Tensor::zeros(DType::kFloat32, {y[1]});
        for (int64_t k = 0; k < y[1]; ++k) t.data<float>()[k] = static_cast<float>(per_channel[k]);  // exact: floats to begin with
        bias = add_constant_value(g, g.nodes()[a].name + "_bias", std::move(t));
        last = a;
      }
    }
    Node fused = conv;
    while (fused.inputs.size() < 4) fused.inputs.push_back(kNoValue);
    fused.inputs.push_back(s);
    if (bias != kNoValue) fused.inputs.push_back(bias);
    fused.attrs.set("output_float", Attribute::of_int(1));
    fused.outputs = g.nodes()[last].outputs;
    dead[i] = dead[c] = dead[m] = true;
    dead[last] = false;
    g.nodes()[last] = std::move(fused);
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
