// Conv/FusedConv whose output is read only by an Add with a same-shaped tensor (a residual
// connection): the Add becomes the FusedConv's 4th input Z. If the conv already has an
// activation the sum comes after it (y = act(conv) + Z, as in YOLO's bottlenecks), otherwise
// before it (y = conv + Z, to which a later activation fusion may apply act(conv + Z), as in ResNet).
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {

Status fuse_conv_add(Graph& g) {
  auto readers = value_readers(g);
  std::vector<bool> dead(g.nodes().size(), false);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& conv = g.nodes()[i];
    if (dead[i] || !conv.domain.empty() || (conv.op_type != "Conv" && conv.op_type != "FusedConv")) continue;
    if (conv.op_type == "FusedConv" && conv.inputs.size() > 3) continue;  // already has a residual
    const ValueId y = conv.outputs[0];
    const int r = sole_reader(g, readers, y);
    if (r < 0 || dead[r] || static_cast<size_t>(r) < i) continue;
    const Node& add = g.nodes()[r];
    if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) continue;
    const ValueId z = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
    const TensorDesc& yd = g.value(y).desc;
    const TensorDesc& zd = g.value(z).desc;
    // Shapes must be known and equal (no broadcasting in the fused sum).
    if (yd.shape.empty() || !shape_is_static(yd.shape) || zd.shape != yd.shape || zd.dtype != DType::kFloat32) continue;
    Node fused = conv;
    const bool has_act = conv.op_type == "FusedConv" && !conv.attrs.get_string("activation", "").empty();
    if (conv.op_type == "Conv") {
      Attribute none;
      none.kind = Attribute::Kind::kString;
      fused.attrs.set("activation", none);
    }
    fused.op_type = "FusedConv";
    Attribute sum_first;
    sum_first.i = has_act ? 0 : 1;
    fused.attrs.set("sum_first", sum_first);
    fused.inputs.resize(3, kNoValue);
    fused.inputs.push_back(z);
    fused.outputs = {add.outputs[0]};
    g.nodes()[r] = std::move(fused);
    dead[i] = true;
  }
  erase_nodes(g, dead);
  return Status::OK();
}

}  // namespace ez
