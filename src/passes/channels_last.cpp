// Layout assignment: keep 4-D float activations in NHWC between the operators whose fast kernels
// prefer it, so that consecutive convolutions exchange data without a reorder on each side.
//
// oneDNN has convolution kernels that read and write NHWC directly on AVX2 (jit, jit_1x1, jit_dw)
// and AVX-512 (brgconv), and edgezoo's Winograd kernel works on NHWC; with NCHW tensors every conv
// reorders its input and output, which cost as much as the convolutions themselves in YOLOX-nano. This pass decides a layout per value, in topological order:
//   - Conv / FusedConv / pooling / SpaceToDepthBlocks on a 4-D float input, QLinearConv and
//     ConvInteger on a 4-D int8 one (MaxPool and SpaceToDepthBlocks on either), run NHWC
//     (attribute channels_last=1);
//   - layout-agnostic operators (elementwise, Concat, Split, Slice, Resize) follow their inputs
//     (and per-tensor Quantize/DequantizeLinear, DynamicQuantizeLinear)
//     when at least one activation input is already NHWC and every other input can follow: a
//     constant is permuted once here, attributes and axis inputs are remapped;
//   - everything else (Reshape, Transpose, MatMul, Softmax, graph outputs...) reads NCHW.
// Where a value crosses between the two, a standard Transpose node is inserted once per value.
// The NHWC copy of a value gets a new name; the original name keeps meaning NCHW, so graph
// outputs and NCHW readers are untouched.
#include <algorithm>
#include <map>
#include <set>

#include "ops/channels_last.h"
#include "ops/op_util.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};

// NCHW axis -> NHWC axis.
int64_t nhwc_axis(int64_t a) {
  static const int64_t kMap[4] = {0, 3, 1, 2};
  return kMap[a];
}

const std::set<std::string>& spatial_ops() {
  static const std::set<std::string> s = {"Conv",          "FusedConv",     "ConvTranspose",     "MaxPool",
                                          "AveragePool",   "GlobalAveragePool", "GlobalMaxPool", "QLinearConv",
                                          "ConvInteger",   "SpaceToDepthBlocks"};
  return s;
}

// Operators whose result does not depend on the order of dims, as long as every input is
// permuted alike (broadcasting included, once all inputs are rank 4).
const std::set<std::string>& elementwise_ops() {
  static const std::set<std::string> s = {
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Where", "Equal", "Less", "Greater",
      "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not", "Relu", "LeakyRelu", "Sigmoid", "Silu", "Tanh", "HardSigmoid",
      "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish", "Erf", "Exp", "Log", "Abs", "Neg", "Sqrt",
      "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Clip", "Cast", "ThresholdedRelu", "Sin", "Cos"};
  return s;
}

bool is_4d_float(const Value& v) {
  return v.desc.dtype == DType::kFloat32 && v.desc.shape.size() == 4 && shape_is_static(v.desc.shape);
}

// QLinearConv's and ConvInteger's activations are uint8 / int8; MaxPool and SpaceToDepthBlocks
// (a gather of any type) take either.
bool is_4d_input_of(const std::string& op, const Value& v) {
  const bool int8 = (v.desc.dtype == DType::kUInt8 || v.desc.dtype == DType::kInt8) && v.desc.shape.size() == 4 &&
                    shape_is_static(v.desc.shape);
  if (op == "QLinearConv" || op == "ConvInteger") return int8;
  if (op == "MaxPool" || op == "SpaceToDepthBlocks") return int8 || is_4d_float(v);
  return is_4d_float(v);
}

// Quantize/DequantizeLinear are elementwise when their scale is one value (per tensor).
bool is_per_tensor_qdq(const Graph& g, const Node& n) {
  if (n.op_type != "QuantizeLinear" && n.op_type != "DequantizeLinear") return false;
  return n.inputs.size() >= 2 && n.inputs[1] != kNoValue && shape_numel(g.value(n.inputs[1]).desc.shape) == 1;
}

class LayoutPass {
 public:
  explicit LayoutPass(Graph& g) : g_(g), nhwc_(g.num_values(), false) {}

  Status run() {
    decide();
    bool any = false;
    for (bool b : node_nhwc_) any = any || b;
    if (!any) return Status::OK();
    return rewrite();
  }

 private:
  // ---- decisions ------------------------------------------------------------------------------
  void decide() {
    node_nhwc_.assign(g_.nodes().size(), false);
    for (size_t n = 0; n < g_.nodes().size(); ++n) {
      const Node& node = g_.nodes()[n];
      const bool nhwc = runs_nhwc(node);
      node_nhwc_[n] = nhwc;
      if (nhwc)
        for (ValueId out : node.outputs) nhwc_[out] = g_.value(out).desc.shape.size() == 4;
    }
  }

  bool runs_nhwc(const Node& node) const {
    if (!node.domain.empty() || node.inputs.empty() || node.inputs[0] == kNoValue) return false;
    const Value& x = g_.value(node.inputs[0]);
    if (spatial_ops().count(node.op_type)) {
      if (node.outputs.size() != 1 || !is_4d_input_of(node.op_type, x)) return false;
      return !x.is_constant();
    }
    bool any_nhwc = false;
    for (ValueId in : node.inputs)
      if (in != kNoValue && nhwc_[in]) any_nhwc = true;
    if (!any_nhwc) return false;
    // DynamicQuantizeLinear: y is elementwise, its scale and zero point (scalars) come from the
    // range of all values, whatever their order.
    if (node.op_type == "DynamicQuantizeLinear") return g_.value(node.outputs[0]).desc.shape.size() == 4;
    for (ValueId out : node.outputs)
      if (g_.value(out).desc.shape.size() != 4) return false;
    if (elementwise_ops().count(node.op_type) || is_per_tensor_qdq(g_, node)) {
      for (ValueId in : node.inputs) {
        if (in == kNoValue) continue;
        const Value& v = g_.value(in);
        if (v.desc.shape.size() == 4 || shape_numel(v.desc.shape) == 1) continue;
        if (!v.is_constant() || v.desc.shape.size() > 4) return false;  // a rank<4 activation broadcast
      }
      return true;
    }
    if (node.op_type == "Concat") {
      for (ValueId in : node.inputs)
        if (in == kNoValue || g_.value(in).desc.shape.size() != 4) return false;
      return true;
    }
    if (node.op_type == "Split") {
      for (size_t i = 1; i < node.inputs.size(); ++i)
        if (node.inputs[i] != kNoValue && !g_.value(node.inputs[i]).is_constant()) return false;
      return true;
    }
    if (node.op_type == "Slice") {  // opset >= 10: starts, ends, axes, steps as inputs
      if (g_.opset < 10) return false;
      for (size_t i = 1; i < node.inputs.size(); ++i)
        if (node.inputs[i] != kNoValue && !g_.value(node.inputs[i]).is_constant()) return false;
      return true;
    }
    if (node.op_type == "Resize") {  // scales / sizes / roi must be constants we can permute
      for (size_t i = 1; i < node.inputs.size(); ++i) {
        if (node.inputs[i] == kNoValue) continue;
        const Value& v = g_.value(node.inputs[i]);
        const int64_t n = shape_numel(v.desc.shape);
        if (!v.is_constant() || (n != 0 && n != 4 && n != 8)) return false;
      }
      return true;
    }
    return false;
  }

  // ---- rewriting --------------------------------------------------------------------------------
  Status rewrite() {
    const auto readers = value_readers(g_);
    std::vector<Node> out;
    std::vector<Node> old = g_.nodes();
    for (size_t n = 0; n < old.size(); ++n) {
      Node node = old[n];
      if (node_nhwc_[n]) {
        if (node.op_type == "Slice" && (node.inputs.size() < 4 || node.inputs[3] == kNoValue)) {
          // Default axes are 0..k-1 in NCHW terms; make them explicit so they can be remapped.
          std::vector<int64_t> axes(shape_numel(g_.value(node.inputs[1]).desc.shape));
          for (size_t a = 0; a < axes.size(); ++a) axes[a] = static_cast<int64_t>(a);
          node.inputs.resize(std::max<size_t>(node.inputs.size(), 4), kNoValue);
          EZ_ASSIGN_OR_RETURN(node.inputs[3], add_int64(node.inputs[1], axes));
        }
        EZ_RETURN_IF_ERROR(rewrite_inputs(node, out));
        if (spatial_ops().count(node.op_type)) node.attrs.set(ops::kChannelsLastAttr, Attribute::of_int(1));
        if (node.op_type == "Concat" || node.op_type == "Split") {
          const int64_t axis = node.attrs.get_int("axis", 0);
          node.attrs.set("axis", Attribute::of_int(nhwc_axis(axis < 0 ? axis + 4 : axis)));
        }
      }
      std::vector<Node> after;  // transposes back to NCHW for the readers that need them
      for (ValueId& o : node.outputs) {
        if (!nhwc_[o]) continue;
        const ValueId orig = o;
        o = add_like(orig, "__nhwc", ops::nchw_to_nhwc(g_.value(orig).desc.shape));
        nhwc_copy_[orig] = o;
        bool nchw_needed = is_graph_output(g_, orig);
        for (int r : readers[orig]) nchw_needed = nchw_needed || !node_nhwc_[r];
        if (nchw_needed) after.push_back(transpose_node(o, orig, kToNchw));
      }
      out.push_back(std::move(node));
      for (Node& t : after) out.push_back(std::move(t));
    }
    g_.nodes() = std::move(out);
    return Status::OK();
  }

  // Points an NHWC node's inputs at NHWC data: NHWC copies, permuted constants, or new transposes.
  Status rewrite_inputs(Node& node, std::vector<Node>& out) {
    const bool spatial = spatial_ops().count(node.op_type) != 0;
    const std::vector<int> data = ops::channels_last_data_inputs(node.op_type);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      ValueId& in = node.inputs[i];
      if (in == kNoValue) continue;
      if (spatial && std::find(data.begin(), data.end(), static_cast<int>(i)) == data.end()) continue;  // weights, bias
      if (node.op_type == "Slice" || node.op_type == "Split" || node.op_type == "Resize") {
        if (i > 0) {
          EZ_ASSIGN_OR_RETURN(in, remap_parameter(node, i));
          continue;
        }
      }
      const Value& v = g_.value(in);
      auto copy = nhwc_copy_.find(in);
      if (copy != nhwc_copy_.end()) {
        in = copy->second;
      } else if (v.desc.shape.size() != 4 && shape_numel(v.desc.shape) == 1) {
        continue;  // a scalar broadcasts the same in any layout
      } else if (v.is_constant()) {
        EZ_ASSIGN_OR_RETURN(in, permuted_constant(in));
      } else {
        auto t = to_nhwc_.find(in);
        if (t == to_nhwc_.end()) {
          const ValueId dst = add_like(in, "__to_nhwc", ops::nchw_to_nhwc(v.desc.shape));
          out.push_back(transpose_node(in, dst, kToNhwc));
          t = to_nhwc_.emplace(in, dst).first;
        }
        in = t->second;
      }
    }
    return Status::OK();
  }

  // A constant broadcast against NHWC data: leading 1s up to rank 4, then permuted.
  Result<ValueId> permuted_constant(ValueId id) {
    const Tensor& c = g_.value(id).constant;
    Shape s = c.shape();
    s.insert(s.begin(), 4 - s.size(), 1);
    EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(c.dtype(), ops::nchw_to_nhwc(s)));
    EZ_RETURN_IF_ERROR(ops::transpose_tensor(c.reshaped(s), t, kToNhwc, nullptr));
    return add_constant(id, "__nhwc", std::move(t));
  }

  // Slice axes, Split sizes and Resize roi/scales/sizes for the NHWC input.
  Result<ValueId> remap_parameter(const Node& node, size_t i) {
    const ValueId id = node.inputs[i];
    const Tensor& c = g_.value(id).constant;
    if (node.op_type == "Split") return id;  // sizes along the (remapped) axis are unchanged
    if (node.op_type == "Slice") {
      if (i != 3) return id;  // starts, ends, steps follow the axes
      EZ_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ops::read_int_list({c.desc(), &c}, "Slice", "axes"));
      for (int64_t& a : axes) a = nhwc_axis(a < 0 ? a + 4 : a);
      return add_int64(id, axes);
    }
    // Resize: permute each run of 4 values (roi has two: starts, ends).
    const int64_t n = c.numel();
    if (n == 0) return id;
    EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(c.dtype(), c.shape()));
    const size_t es = dtype_size(c.dtype());
    for (int64_t base = 0; base < n; base += 4)
      for (int64_t d = 0; d < 4; ++d)
        std::copy_n(static_cast<const char*>(c.raw()) + (base + kToNhwc[d]) * es, es, static_cast<char*>(t.raw()) + (base + d) * es);
    return add_constant(id, "__nhwc", std::move(t));
  }

  // ---- helpers ------------------------------------------------------------------------------------
  Result<ValueId> add_int64(ValueId like, const std::vector<int64_t>& v) {
    EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::kInt64, {static_cast<int64_t>(v.size())}));
    std::copy(v.begin(), v.end(), t.data<int64_t>());
    return add_constant(like, "__nhwc", std::move(t));
  }

  ValueId add_constant(ValueId like, const char* suffix, Tensor t) {
    Value v;
    v.name = unique_name(g_.value(like).name + suffix);
    v.desc = {t.dtype(), t.shape()};
    v.constant = std::move(t);
    return g_.add_value(std::move(v));
  }

  ValueId add_like(ValueId like, const char* suffix, Shape shape) {
    Value v;
    v.name = unique_name(g_.value(like).name + suffix);
    v.desc = {g_.value(like).desc.dtype, std::move(shape)};
    return g_.add_value(std::move(v));
  }

  std::string unique_name(const std::string& base) const {
    std::string name = base;
    for (int k = 1; g_.find_value(name) != kNoValue; ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  Node transpose_node(ValueId from, ValueId to, const std::vector<int64_t>& perm) const {
    Node t;
    t.name = g_.value(to).name;
    t.op_type = "Transpose";
    t.attrs.set("perm", Attribute::of_ints(perm));
    t.inputs = {from};
    t.outputs = {to};
    return t;
  }

  Graph& g_;
  std::vector<bool> nhwc_;       // value is produced in NHWC (decided)
  std::vector<bool> node_nhwc_;  // node runs in NHWC
  std::map<ValueId, ValueId> nhwc_copy_;  // NCHW-named value -> its NHWC producer output
  std::map<ValueId, ValueId> to_nhwc_;    // NCHW value -> inserted transpose to NHWC
};

}  // namespace

Status convert_to_channels_last(Graph& graph) { return LayoutPass(graph).run(); }

}  // namespace ez
