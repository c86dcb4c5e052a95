// Conv (or a FusedConv without an activation yet) followed by an activation becomes one FusedConv:
// Relu, LeakyRelu, Clip (constant bounds), Sigmoid, HardSigmoid, HardSwish, Tanh, and SiLU written
// as Mul(x, Sigmoid(x)). The fused node takes the activation's place and output name.
#include <limits>

#include "ops/nn/activation.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

using ops::Activation;
using ops::ActivationSpec;

bool is_conv_without_activation(const Node& n) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "Conv") return true;
  return n.op_type == "FusedConv" && n.attrs.get_string("activation", "").empty() &&
         !(n.inputs.size() > 3 && n.attrs.get_int("sum_first", 0) == 0);  // act must come before a later add
}

// Recognises a single-input activation node.
bool activation_of(const Graph& g, const Node& n, ActivationSpec* s) {
  if (!n.domain.empty()) return false;
  const std::string& op = n.op_type;
  if (op == "Relu") s->kind = Activation::kRelu;
  else if (op == "Sigmoid") s->kind = Activation::kSigmoid;
  else if (op == "Tanh") s->kind = Activation::kTanh;
  else if (op == "HardSwish") s->kind = Activation::kHardSwish;
  else if (op == "LeakyRelu") {
    s->kind = Activation::kLeakyRelu;
    s->alpha = n.attrs.get_float("alpha", 0.01f);
  } else if (op == "HardSigmoid") {
    s->kind = Activation::kHardSigmoid;
    s->alpha = n.attrs.get_float("alpha", 0.2f);
    s->beta = n.attrs.get_float("beta", 0.5f);
  } else if (op == "Clip") {
    s->kind = Activation::kClip;
    s->alpha = -std::numeric_limits<float>::max();
    s->beta = std::numeric_limits<float>::max();
    if (g.opset < 11) {
      s->alpha = n.attrs.get_float("min", s->alpha);
      s->beta = n.attrs.get_float("max", s->beta);
    } else {
      for (size_t k = 1; k < n.inputs.size() && k < 3; ++k) {
        if (n.inputs[k] == kNoValue) continue;
        const Value& b = g.value(n.inputs[k]);
        if (!b.is_constant() || b.constant.numel() != 1) return false;
        (k == 1 ? s->alpha : s->beta) = static_cast<float>(b.constant.at_double(0));
      }
    }
  } else {
    return false;
  }
  return true;
}

Node make_fused(const Node& conv, const ActivationSpec& act, ValueId output) {
  Node f = conv;
  f.op_type = "FusedConv";
  ops::activation_to_attrs(act, &f.attrs);
  f.outputs = {output};
  return f;
}

}  // namespace

Status fuse_conv_activation(Graph& g) {
  auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& conv = g.nodes()[i];
    if (dead[i] || !is_conv_without_activation(conv) || g.value(conv.inputs[0]).desc.dtype != DType::kFloat32) continue;
    const ValueId y = conv.outputs[0];
    if (is_graph_output(g, y)) continue;
    const auto& rd = readers[y];
    ActivationSpec act;
    int last = -1;  // the node whose output the fused node takes over
    std::vector<int> absorbed;
    if (rd.size() == 1 && activation_of(g, g.nodes()[rd[0]], &act)) {
      last = rd[0];
      absorbed = {rd[0]};
    } else if (rd.size() == 2) {
      // SiLU: y -> Sigmoid -> s ; Mul(y, s) (either operand order), s read only by the Mul.
      for (int a = 0; a < 2 && last < 0; ++a) {
        if (silu_mul(g, readers, rd[a]) != rd[1 - a]) continue;  // rd[a] = Sigmoid(y), rd[1 - a] = Mul(y, it)
        act.kind = Activation::kSilu;
        last = rd[1 - a];
        absorbed = {rd[0], rd[1]};
      }
    }
    if (last < 0 || static_cast<size_t>(last) < i) continue;
    Node fused = make_fused(conv, act, g.nodes()[last].outputs[0]);
    for (int k : absorbed) dead[k] = true;
    dead[last] = false;
    g.nodes()[last] = std::move(fused);
    dead[i] = true;
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
