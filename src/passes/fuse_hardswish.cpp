// HardSwish written out by exporters (Paddle2ONNX, older PyTorch): x * Clip(x + 3, 0, 6) / 6, with
// the last step as Div(., 6) or Mul(., 1/6). Becomes one HardSwish node, which the conv fusion
// then folds into the preceding convolution.
#include <cmath>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

bool scalar_constant(const Graph& g, ValueId v, double* out) {
  if (v == kNoValue || !g.value(v).is_constant() || g.value(v).constant.numel() != 1) return false;
  *out = g.value(v).constant.at_double(0);
  return true;
}

bool near(double a, double b) { return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(b)); }

bool clip_is_0_6(const Graph& g, const Node& clip) {
  if (g.opset < 11) return near(clip.attrs.get_float("min", -1), 0) && near(clip.attrs.get_float("max", -1), 6);
  double lo = 0, hi = 0;
  return clip.inputs.size() == 3 && scalar_constant(g, clip.inputs[1], &lo) && scalar_constant(g, clip.inputs[2], &hi) &&
         near(lo, 0) && near(hi, 6);
}

}  // namespace

Status fuse_hardswish(Graph& g) {
  auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& add = g.nodes()[i];
    if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2) continue;
    for (int k = 0; k < 2; ++k) {
      const ValueId x = add.inputs[k];
      double three = 0;
      if (!scalar_constant(g, add.inputs[1 - k], &three) || !near(three, 3)) continue;
      if (g.value(x).desc.dtype != DType::kFloat32) continue;
      const int c = sole_reader(g, readers, add.outputs[0]);
      if (c < 0 || g.nodes()[c].op_type != "Clip" || g.nodes()[c].inputs[0] != add.outputs[0] || !clip_is_0_6(g, g.nodes()[c]))
        continue;
      const int m = sole_reader(g, readers, g.nodes()[c].outputs[0]);
      if (m < 0 || g.nodes()[m].op_type != "Mul" || other_operand(g.nodes()[m], g.nodes()[c].outputs[0]) != x) continue;
      const int d = sole_reader(g, readers, g.nodes()[m].outputs[0]);
      if (d < 0) continue;
      const Node& last = g.nodes()[d];
      const ValueId mo = g.nodes()[m].outputs[0];
      double f = 0;
      const bool div6 = last.op_type == "Div" && last.inputs.size() == 2 && last.inputs[0] == mo &&
                        scalar_constant(g, last.inputs[1], &f) && near(f, 6);
      const bool mul6 = last.op_type == "Mul" && scalar_constant(g, other_operand(last, mo), &f) && near(f, 1.0 / 6.0);
      if (!div6 && !mul6) continue;
      Node hs;
      hs.name = last.name;
      hs.op_type = "HardSwish";
      hs.inputs = {x};
      hs.outputs = last.outputs;
      dead[i] = dead[c] = dead[m] = true;
      g.nodes()[d] = std::move(hs);
      break;
    }
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
