// A QLinearConv whose float result (float_accumulator, output_float: edgezoo's quantizer leaves
// a result float where a float node such as a residual Add reads it) is also read by per-tensor
// QuantizeLinear nodes writes their 8-bit outputs itself, as extra outputs (see
// ops/quant/qlinear_conv.cpp): one pass over the sums instead of a float tensor written, then
// read again by each QuantizeLinear. Exactly equal: the kernels quantize the float result with
// QuantizeLinear's own formula. YOLOX-Nano int8: the three residual blocks' inputs and the
// float results that also feed a Concat.
//
// Runs after the layout pass: a spatial node with several outputs would not be put in NHWC, and
// by then the QuantizeLinear nodes follow the convolution's layout.
#include "ops/quant/qlinear_common.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

constexpr size_t kMaxExtraOutputs = 4;  // the hand-written kernels' limit (ops/x86/conv_int8_kernels.h)

const Tensor* constant_of(const Graph& g, ValueId v) {
  return v != kNoValue && g.value(v).is_constant() ? &g.value(v).constant : nullptr;
}

// QuantizeLinear(y, scalar scale, scalar 8-bit zero point) with nothing else to it.
bool per_tensor_quantize_of(const Graph& g, const Node& n, ValueId y) {
  if (n.op_type != "QuantizeLinear" || !n.domain.empty() || n.inputs.size() != 3 || n.inputs[0] != y || n.outputs.size() != 1) return false;
  const Tensor* s = constant_of(g, n.inputs[1]);
  const Tensor* z = constant_of(g, n.inputs[2]);
  return s && z && s->dtype() == DType::kFloat32 && s->numel() == 1 && z->numel() == 1 && ops::qlinear::is_8bit(z->dtype()) &&
         g.value(n.outputs[0]).desc.dtype == z->dtype();
}

}  // namespace

Status fuse_conv_output_quantize(Graph& g) {
  const auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (Node& conv : g.nodes()) {
    if (conv.op_type != "QLinearConv" || !conv.domain.empty() || conv.outputs.size() != 1 ||
        conv.attrs.get_int("float_accumulator", 0) == 0 || conv.attrs.get_int("output_float", 0) == 0)
      continue;
    if (conv.inputs.size() > 9 && conv.inputs[9] != kNoValue) continue;  // (a channel multiplier: not with extras)
    const ValueId y = conv.outputs[0];
    for (int r : readers[y]) {
      if (dead[r] || conv.outputs.size() > kMaxExtraOutputs || !per_tensor_quantize_of(g, g.nodes()[r], y)) continue;
      const Node& q = g.nodes()[r];
      conv.inputs.resize(std::max<size_t>(conv.inputs.size(), 10), kNoValue);
      conv.inputs.push_back(q.inputs[1]);
      conv.inputs.push_back(q.inputs[2]);
      conv.outputs.push_back(q.outputs[0]);
      dead[r] = true;
    }
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
