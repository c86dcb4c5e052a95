// Conv followed by an inference BatchNormalization with constant parameters: fold the BN into
// the convolution's weights and bias (w' = w * s, b' = (b - mean) * s + beta, s = gamma/sqrt(var+eps)).
#include <cmath>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {

Status fold_conv_batchnorm(Graph& g) {
  auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    Node& conv = g.nodes()[i];
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.inputs.size() < 2) continue;
    const int r = sole_reader(g, readers, conv.outputs[0]);
    if (r < 0) continue;
    Node& bn = g.nodes()[r];
    if (bn.op_type != "BatchNormalization" || bn.outputs.size() != 1 || bn.inputs.size() != 5) continue;
    bool constants = g.value(conv.inputs[1]).is_constant();
    for (int k = 1; k < 5; ++k) constants = constants && bn.inputs[k] != kNoValue && g.value(bn.inputs[k]).is_constant();
    const bool has_bias = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue;
    if (!constants || (has_bias && !g.value(conv.inputs[2]).is_constant())) continue;
    const Tensor& w = g.value(conv.inputs[1]).constant;
    if (w.dtype() != DType::kFloat32) continue;
    const int64_t M = w.dim(0), per = w.numel() / M;
    const float eps = bn.attrs.get_float("epsilon", 1e-5f);
    const Tensor &gamma = g.value(bn.inputs[1]).constant, &beta = g.value(bn.inputs[2]).constant,
                 &mean = g.value(bn.inputs[3]).constant, &var = g.value(bn.inputs[4]).constant;
    if (gamma.numel() != M || beta.numel() != M || mean.numel() != M || var.numel() != M) continue;
    Tensor nw = w.clone();
    Tensor nb = Tensor::zeros(DType::kFloat32, {M});
    for (int64_t m = 0; m < M; ++m) {
      const double s = gamma.at_double(m) / std::sqrt(var.at_double(m) + eps);
      for (int64_t k = 0; k < per; ++k) nw.data<float>()[m * per + k] = static_cast<float>(w.data<float>()[m * per + k] * s);
      const double b = has_bias ? g.value(conv.inputs[2]).constant.at_double(m) : 0.0;
      nb.data<float>()[m] = static_cast<float>((b - mean.at_double(m)) * s + beta.at_double(m));
    }
    // New constants (the originals may be shared with other nodes).
    Value wv, bv;
    wv.name = conv.name + "/folded_W";
    wv.constant = nw;
    wv.desc = nw.desc();
    bv.name = conv.name + "/folded_B";
    bv.constant = nb;
    bv.desc = nb.desc();
    const ValueId wid = g.add_value(std::move(wv)), bid = g.add_value(std::move(bv));
    // The conv now writes the BN's output and takes the BN's place in the order.
    Node fused = g.nodes()[i];
    fused.inputs.resize(3);
    fused.inputs[1] = wid;
    fused.inputs[2] = bid;
    fused.outputs[0] = g.nodes()[r].outputs[0];
    g.nodes()[r] = std::move(fused);
    dead[i] = true;
    readers = value_readers(g);
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
