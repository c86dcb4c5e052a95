// Conv or ConvTranspose followed by per-channel affine nodes with constant parameters: inference
// BatchNormalization (s = gamma / sqrt(var + eps), y = x * s + beta - mean * s) and per-channel or
// scalar Mul / Div / Add / Sub. The chain (BN, then Mul, then Add, ...) is folded into the weights
// and bias. PP-LCNetV3 (PP-OCRv4) exports put a "learnable affine block" (Mul + Add) after every
// convolution, and Paddle exports ConvTranspose + Add(bias) + BN.
#include <cmath>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

// The constant operand of a binary node whose other operand is x, or nullptr.
const Tensor* constant_operand(const Graph& g, const Node& n, ValueId x, bool* x_first) {
  if (n.inputs.size() != 2 || !n.domain.empty()) return nullptr;
  for (int k = 0; k < 2; ++k)
    if (n.inputs[k] == x && n.inputs[1 - k] != kNoValue && g.value(n.inputs[1 - k]).is_constant()) {
      *x_first = k == 0;
      return &g.value(n.inputs[1 - k]).constant;
    }
  return nullptr;
}

// Applies an inference BatchNormalization with constant parameters to (scale, bias).
bool batchnorm_affine(const Graph& g, const Node& bn, int64_t M, std::vector<double>* scale, std::vector<double>* bias) {
  for (int k = 1; k < 5; ++k)
    if (bn.inputs[k] == kNoValue || !g.value(bn.inputs[k]).is_constant() || g.value(bn.inputs[k]).constant.numel() != M)
      return false;
  const double eps = bn.attrs.get_float("epsilon", 1e-5f);
  const Tensor &gamma = g.value(bn.inputs[1]).constant, &beta = g.value(bn.inputs[2]).constant,
               &mean = g.value(bn.inputs[3]).constant, &var = g.value(bn.inputs[4]).constant;
  for (int64_t m = 0; m < M; ++m) {
    const double s = gamma.at_double(m) / std::sqrt(var.at_double(m) + eps);
    (*scale)[m] *= s;
    (*bias)[m] = ((*bias)[m] - mean.at_double(m)) * s + beta.at_double(m);
  }
  return true;
}

}  // namespace

Status fold_conv_affine(Graph& g) {
  auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    if (dead[i]) continue;
    const Node& conv = g.nodes()[i];
    if ((conv.op_type != "Conv" && conv.op_type != "ConvTranspose") || !conv.domain.empty() || conv.inputs.size() < 2 ||
        conv.outputs.size() != 1 || !g.value(conv.inputs[1]).is_constant())
      continue;
    const bool has_bias = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue;
    if (has_bias && !g.value(conv.inputs[2]).is_constant()) continue;
    const Tensor& w = g.value(conv.inputs[1]).constant;
    if (w.dtype() != DType::kFloat32) continue;
    const int64_t M = conv_output_channels(conv, w);
    const size_t rank = w.shape().size();  // the output has the weights' rank (w is not used below:
                                           // adding values may move it)
    std::vector<double> scale(M, 1.0), bias(M, 0.0);
    if (has_bias)
      for (int64_t m = 0; m < M; ++m) bias[m] = g.value(conv.inputs[2]).constant.at_double(m);
    ValueId y = conv.outputs[0];
    int last = -1;
    std::vector<int> absorbed;
    for (;;) {
      const int r = sole_reader(g, readers, y);
      if (r < 0 || dead[r]) break;
      const Node& op = g.nodes()[r];
      if (op.op_type == "BatchNormalization") {
        if (op.domain.empty() && op.inputs.size() == 5 && op.outputs.size() == 1 && op.inputs[0] == y &&
            batchnorm_affine(g, op, M, &scale, &bias)) {
          absorbed.push_back(r);
          last = r;
          y = op.outputs[0];
          continue;
        }
        break;
      }
      bool x_first = true;
      const Tensor* c = constant_operand(g, op, y, &x_first);
      std::vector<double> v;
      if (!c || !per_channel_values(*c, rank, M, &v)) break;
      if (op.op_type == "Mul" || (op.op_type == "Div" && x_first)) {
        for (int64_t m = 0; m < M; ++m) {
          const double f = op.op_type == "Mul" ? v[m] : 1.0 / v[m];
          scale[m] *= f;
          bias[m] *= f;
        }
      } else if (op.op_type == "Add" || (op.op_type == "Sub" && x_first)) {
        for (int64_t m = 0; m < M; ++m) bias[m] += op.op_type == "Add" ? v[m] : -v[m];
      } else {
        break;
      }
      absorbed.push_back(r);
      last = r;
      y = op.outputs[0];
    }
    if (last < 0) continue;
    Tensor nb = Tensor::zeros(DType::kFloat32, {M});
    for (int64_t m = 0; m < M; ++m) nb.data<float>()[m] = static_cast<float>(bias[m]);
    Node folded = conv;
    folded.inputs.resize(3);
    ValueId wid = conv.inputs[1];
    const int w_readers = static_cast<int>(readers[wid].size());
    scale_conv_output_channels(folded, writable_constant(g, &wid, w_readers), scale);
    folded.inputs[1] = wid;
    folded.inputs[2] = add_constant_value(g, conv.name + "/affine_B", std::move(nb));
    folded.outputs[0] = y;
    for (int k : absorbed) dead[k] = true;
    dead[last] = false;
    g.nodes()[last] = std::move(folded);  // takes the last node's place: its inputs exist by then
    dead[i] = true;
    readers = value_readers(g);
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
