// A FusedConv with an activation, followed by a scalar constant Mul/Div and/or Add/Sub: the affine
// becomes the FusedConv's output_scale / output_shift (one more oneDNN post-op). PP-LCNetV3 puts
// such an affine after each activation.
#include "ops/nn/activation.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {

Status fuse_output_affine(Graph& g) {
  auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    if (dead[i]) continue;
    Node& conv = g.nodes()[i];
    // With a residual added after the activation, the affine would land before the sum: skip.
    if (conv.op_type != "FusedConv" || (conv.inputs.size() > 3 && conv.attrs.get_int("sum_first", 0) == 0)) continue;
    auto spec = ops::activation_from_attrs(conv.attrs);
    if (!spec.ok()) continue;
    ops::ActivationSpec act = *spec;
    bool changed = false;
    for (;;) {
      const ValueId y = conv.outputs[0];
      const int r = sole_reader(g, readers, y);
      if (r < 0 || dead[r]) break;
      const Node& op = g.nodes()[r];
      if (op.inputs.size() != 2 || !op.domain.empty()) break;
      const int xi = op.inputs[0] == y ? 0 : 1;
      const ValueId cv = op.inputs[1 - xi];
      if (cv == kNoValue || !g.value(cv).is_constant() || g.value(cv).constant.numel() != 1 ||
          g.value(cv).constant.dtype() != DType::kFloat32 ||
          // a rank>0 scalar may raise the output rank ([1] against a rank-0 output): keep shapes
          g.value(cv).constant.shape().size() > g.value(y).desc.shape.size())
        break;
      const float c = static_cast<float>(g.value(cv).constant.at_double(0));
      if (op.op_type == "Mul" || (op.op_type == "Div" && xi == 0)) {
        const float f = op.op_type == "Mul" ? c : 1.0f / c;
        act.out_scale *= f;
        act.out_shift *= f;
      } else if (op.op_type == "Add" || (op.op_type == "Sub" && xi == 0)) {
        act.out_shift += op.op_type == "Add" ? c : -c;
      } else {
        break;
      }
      conv.outputs[0] = op.outputs[0];
      dead[r] = true;
      changed = true;
    }
    if (changed) {
      ops::activation_to_attrs(act, &conv.attrs);
      readers = value_readers(g);
    }
  }
  // The conv now writes a value that a later (absorbed) node used to produce; readers come after
  // the absorbed nodes, so the order stays topological once those are gone.
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
