// SiLU written out, y = Mul(x, Sigmoid(x)) (either operand order; the Sigmoid read by that Mul
// alone), where no convolution took it in as its activation (fuse_conv_activation runs first):
// one Silu node (edgezoo-internal, ops/elementwise/unary.cpp), one pass over the data instead of
// two, and a tensor fewer to write and read back. ONNX Runtime's dynamically quantized YOLO
// models have 58 of them, after the float bias Add that follows each ConvInteger.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {

Status fuse_silu(Graph& g) {
  const auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const int m = silu_mul(g, readers, static_cast<int>(i));
    if (m < 0 || static_cast<size_t>(m) < i) continue;
    const ValueId x = g.nodes()[i].inputs[0];
    if (x == kNoValue || g.value(x).desc.dtype != DType::kFloat32) continue;
    const Node& mul = g.nodes()[m];
    Node silu;
    silu.name = mul.name;
    silu.op_type = "Silu";
    silu.inputs = {x};
    silu.outputs = mul.outputs;
    g.nodes()[m] = std::move(silu);
    dead[i] = true;
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
