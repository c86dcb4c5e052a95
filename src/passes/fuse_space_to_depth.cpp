// Concat along channels of strided Slices of one tensor -- the "Focus" stem of YOLOv5 (v1-v5) and
// YOLOX, cat(x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]) --
// becomes one SpaceToDepthBlocks node (ops/tensor/space_to_depth_blocks.cpp). Exporters write
// each input as one Slice over H and W or as two chained Slices (YOLOX: 8 Slices for 4 inputs);
// each must take every b-th row and column from offsets (by, bx) in [0, b) to the end, with the
// same b throughout, and the Concat must have nothing else among its inputs. The Slices left
// without readers go with the pipeline's dead-node removal. On YOLOX-Nano this replaces 8 Slices and a Concat
// over the 416x416 input (0.35 ms of 5.9 at 2 threads); with the layout pass the gather then
// writes the NHWC tensor the stem convolution reads; fold_space_to_depth_transpose then lets it
// read the NCHW input itself instead of the layout pass's Transpose of it.
#include <climits>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

bool int_list(const Graph& g, const Node& n, size_t i, std::vector<int64_t>* out) {
  if (i >= n.inputs.size() || n.inputs[i] == kNoValue) return false;
  const Value& v = g.value(n.inputs[i]);
  if (!v.is_constant() || (v.constant.dtype() != DType::kInt64 && v.constant.dtype() != DType::kInt32)) return false;
  out->clear();
  for (int64_t k = 0; k < v.constant.numel(); ++k) out->push_back(v.constant.at_int(k));
  return true;
}

// What a chain of Slices picks from a 4-D source: per spatial axis (H, W) an offset and a step
// (step 1, offset 0: untouched).
struct Pick {
  ValueId source = kNoValue;
  int64_t offset[2] = {0, 0}, step[2] = {1, 1};
};

// One opset >= 10 Slice (constant starts/ends/axes/steps) of a 4-D input, touching H and W only,
// each to its end with a positive step. Composes into *p (the input's own pick so far).
bool compose_slice(const Graph& g, const Node& n, Pick* p) {
  if (n.op_type != "Slice" || !n.domain.empty() || n.inputs.size() < 5 || n.inputs[0] == kNoValue) return false;
  const Shape& s = g.value(n.inputs[0]).desc.shape;
  if (s.size() != 4 || !shape_is_static(s)) return false;
  std::vector<int64_t> starts, ends, axes, steps;
  if (!int_list(g, n, 1, &starts) || !int_list(g, n, 2, &ends) || !int_list(g, n, 3, &axes) || !int_list(g, n, 4, &steps)) return false;
  if (starts.size() != axes.size() || ends.size() != axes.size() || steps.size() != axes.size()) return false;
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
    if (a != 2 && a != 3) return false;
    const int64_t dim = s[a];
    if (steps[i] <= 0 || starts[i] < 0 || starts[i] >= steps[i] || ends[i] < dim) return false;
    const int k = static_cast<int>(a - 2);
    if (p->step[k] != 1) return false;  // sliced twice along one axis
    p->offset[k] = starts[i];
    p->step[k] = steps[i];
  }
  return true;
}

// The pick behind value v: a Slice, or a Slice of a Slice.
bool pick_of(const Graph& g, const std::vector<int>& producer, ValueId v, Pick* p) {
  const int first = producer[v];
  if (first < 0) return false;
  const Node& outer = g.nodes()[first];
  Pick pk;
  if (!compose_slice(g, outer, &pk)) return false;
  pk.source = outer.inputs[0];
  const int second = producer[outer.inputs[0]];
  if (second >= 0 && g.nodes()[second].op_type == "Slice") {
    Pick inner;
    if (compose_slice(g, g.nodes()[second], &inner)) {
      for (int k = 0; k < 2; ++k) {
        if (inner.step[k] != 1 && pk.step[k] != 1) return false;
        if (inner.step[k] != 1) {
          pk.offset[k] = inner.offset[k];
          pk.step[k] = inner.step[k];
        }
      }
      pk.source = g.nodes()[second].inputs[0];
    }
  }
  *p = pk;
  return true;
}

}  // namespace

Status fuse_space_to_depth(Graph& g) {
  const std::vector<int> producer = value_producers(g);
  for (Node& n : g.nodes()) {
    if (n.op_type != "Concat" || !n.domain.empty() || n.inputs.size() < 2 || n.outputs.size() != 1) continue;
    const int64_t axis = n.attrs.get_int("axis", 0);
    if (axis != 1 && axis != -3) continue;
    std::vector<int64_t> blocks;
    ValueId source = kNoValue;
    int64_t b = 0;
    bool ok = true;
    for (ValueId in : n.inputs) {
      Pick p;
      if (in == kNoValue || !pick_of(g, producer, in, &p) || p.step[0] != p.step[1] || p.step[0] < 2 ||
          (source != kNoValue && (p.source != source || p.step[0] != b))) {
        ok = false;
        break;
      }
      source = p.source;
      b = p.step[0];
      blocks.push_back(p.offset[0]);
      blocks.push_back(p.offset[1]);
    }
    if (!ok) continue;
    const Shape& s = g.value(source).desc.shape;
    if (s[2] % b != 0 || s[3] % b != 0) continue;  // the slices' sizes would differ: not a block gather
    Node fused;
    fused.name = n.name;
    fused.op_type = "SpaceToDepthBlocks";
    fused.attrs.set("blocksize", Attribute::of_int(b));
    fused.attrs.set("blocks", Attribute::of_ints(blocks));
    fused.inputs = {source};
    fused.outputs = n.outputs;
    n = std::move(fused);
  }
  return Status::OK();
}

Status fold_space_to_depth_transpose(Graph& g) {
  const std::vector<int> producer = value_producers(g);
  for (Node& n : g.nodes()) {
    if (n.op_type != "SpaceToDepthBlocks" || n.attrs.get_int("channels_last", 0) == 0 || n.attrs.get_int("nchw_input", 0) != 0)
      continue;
    const int t = producer[n.inputs[0]];
    if (t < 0) continue;
    const Node& tr = g.nodes()[t];
    if (tr.op_type != "Transpose" || !tr.domain.empty() || tr.attrs.get_ints("perm") != std::vector<int64_t>{0, 2, 3, 1}) continue;
    n.inputs[0] = tr.inputs[0];
    n.attrs.set("nchw_input", Attribute::of_int(1));
  }
  return Status::OK();
}

}  // namespace ez
