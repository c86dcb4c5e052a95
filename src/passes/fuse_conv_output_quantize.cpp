// A QLinearConv whose float result (float_accumulator, output_float: edgezoo's quantizer leaves
// a result float where a float node such as a residual Add reads it) is also read by per-tensor
// QuantizeLinear nodes writes their 8-bit outputs itself, as extra outputs (see
// ops/quant/qlinear_conv.cpp): one pass over the sums instead of a float tensor written, then
// read again by each QuantizeLinear. Exactly equal: the kernels quantize the float result with
// QuantizeLinear's own formula. A Mul by per-channel constants between (edgezoo's quantizer
// equalizing a depthwise convolution's input) comes along as the extra output's channel
// multiplier. YOLOX-Nano int8: the three residual blocks' inputs, and the float results that
// feed both a Concat and an equalized depthwise convolution (whose float result then has no
// reader left: marked float_result_unused, not stored by the VNNI kernel).
//
// Runs after the layout pass: a spatial node with several outputs would not be put in NHWC, and
// by then the QuantizeLinear nodes follow the convolution's layout.
#include <algorithm>

#include "ops/quant/qlinear_common.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

constexpr size_t kMaxExtraOutputs = 4;  // the hand-written kernels' limit (ops/x86/conv_int8_kernels.h)

// QuantizeLinear(y, scalar scale, scalar 8-bit zero point) with nothing else to it.
bool per_tensor_quantize_of(const Graph& g, const Node& n, ValueId y) {
  if (n.op_type != "QuantizeLinear" || !n.domain.empty() || n.inputs.size() != 3 || n.inputs[0] != y || n.outputs.size() != 1) return false;
  const Tensor* s = constant_of(g, n.inputs[1]);
  const Tensor* z = constant_of(g, n.inputs[2]);
  return s && z && s->dtype() == DType::kFloat32 && s->numel() == 1 && z->numel() == 1 && ops::qlinear::is_8bit(z->dtype()) &&
         g.value(n.outputs[0]).desc.dtype == z->dtype();
}

// Mul(y, c) with c a constant of one value per channel of y (the channel dim is the last under
// channels_last, else dim 1): those values, else empty.
std::vector<float> channel_values(const Graph& g, const Node& mul, ValueId y, bool nhwc) {
  if (mul.op_type != "Mul" || !mul.domain.empty() || mul.inputs.size() != 2 || mul.outputs.size() != 1) return {};
  const ValueId other = mul.inputs[0] == y ? mul.inputs[1] : mul.inputs[1] == y ? mul.inputs[0] : kNoValue;
  const Tensor* c = other == y ? nullptr : constant_of(g, other);
  const Shape& ys = g.value(y).desc.shape;
  if (!c || c->dtype() != DType::kFloat32 || ys.size() != 4 || g.value(mul.outputs[0]).desc.shape != ys || c->rank() > 4) return {};
  const size_t channel_dim = nhwc ? 3 : 1;
  const int64_t M = ys[channel_dim];
  // c's dims, right-aligned against y's: 1 everywhere but at the channel dim, which is M.
  const Shape& cs = c->shape();
  for (size_t d = 0; d < cs.size(); ++d) {
    const size_t yd = ys.size() - cs.size() + d;
    if (cs[d] != (yd == channel_dim ? M : 1)) return {};
  }
  if (c->numel() != M) return {};
  return std::vector<float>(c->data<float>(), c->data<float>() + M);
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
    const bool nhwc = conv.attrs.get_int("channels_last", 0) != 0;
    for (int r : readers[y]) {
      if (dead[r] || conv.outputs.size() > kMaxExtraOutputs) continue;
      int q = r, mul = -1;
      std::vector<float> multiplier;
      if (!per_tensor_quantize_of(g, g.nodes()[r], y)) {  // or Mul(y, per-channel constants) -> QuantizeLinear
        multiplier = channel_values(g, g.nodes()[r], y, nhwc);
        if (multiplier.empty()) continue;
        const ValueId m = g.nodes()[r].outputs[0];
        q = sole_reader(g, readers, m);
        if (q < 0 || dead[q] || !per_tensor_quantize_of(g, g.nodes()[q], m)) continue;
        mul = r;
      }
      const Node& qn = g.nodes()[q];
      conv.inputs.resize(std::max<size_t>(conv.inputs.size(), 10), kNoValue);
      conv.inputs.push_back(qn.inputs[1]);
      conv.inputs.push_back(qn.inputs[2]);
      ValueId mult = kNoValue;
      if (mul >= 0) {
        Tensor t = Tensor::zeros(DType::kFloat32, {static_cast<int64_t>(multiplier.size())});
        std::copy(multiplier.begin(), multiplier.end(), t.data<float>());
        mult = add_constant_value(g, g.value(y).name + "_channel_mult", std::move(t));
        dead[mul] = true;
      }
      conv.inputs.push_back(mult);
      conv.outputs.push_back(qn.outputs[0]);
      dead[q] = true;
    }
    // Every reader now an extra output: the float result need not be stored (a hint the kernels
    // may take; output 0 stays, with no reader).
    const bool read = is_graph_output(g, y) || std::any_of(readers[y].begin(), readers[y].end(), [&](int r) { return !dead[r]; });
    if (conv.outputs.size() > 1 && !read) conv.attrs.set("float_result_unused", Attribute::of_int(1));
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
