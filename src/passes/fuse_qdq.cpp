// QDQ fusion: the quantize/dequantize pairs that quantizers (ONNX Runtime's, edgezoo's own) write
// around convolutions and matrix products become the integer operators they stand for,
//   DequantizeLinear(x_q) ─┐
//   DequantizeLinear(w_q) ─┼─ Conv ─[Relu|Clip]─ QuantizeLinear ─▶ y_q
//   [DequantizeLinear(b_q) | float bias] ─┘
//     ─▶ QLinearConv(x_q, s_x, z_x, w_q, s_w, z_w, s_y, z_y, b_int32) ─▶ y_q
// and DequantizeLinear(a_q), DequantizeLinear(b_q) ─ MatMul ─ QuantizeLinear ─▶ QLinearMatMul,
// so that tensors stay int8 from one quantized operator to the next. The weights stay int8.
// An activation between the operator and the QuantizeLinear is absorbed only when the output
// range already implies its clamp (Relu with z_y at the bottom of the range, Clip whose bounds
// lie outside the representable range within half a step). Everything else keeps running in
// float between a DequantizeLinear and a QuantizeLinear, except a float activation right after a
// QLinearConv, QLinearConv -> DequantizeLinear -> act -> QuantizeLinear (act: Relu, LeakyRelu,
// Clip, Sigmoid, Tanh, HardSwish, HardSigmoid or SiLU as x*Sigmoid(x)), which the QLinearConv
// takes in as an internal activation computed exactly as those nodes would (see
// ops/quant/qlinear_conv.cpp): one pass over the data instead of four.
// Quantizers that put Q/DQ on operator inputs only (ONNX Runtime's default, edgezoo's own) leave
//   DequantizeLinear(x_q), DequantizeLinear(w_q) -> Conv [-> act] [-> QuantizeLinear]
// with the convolution's result in float: it becomes a QLinearConv whose integer sum goes straight
// to float ("float_accumulator"), takes the activation in, and writes the next QuantizeLinear's
// int8 output itself when there is one (also through a Concat, see quantize_before_concat, a
// MaxPool or nearest Resize, see quantize_before_pools, and after a Mul by per-channel constants,
// see requantize_float_results).
// DequantizeLinear nodes of constants left over are folded into float constants here (the session
// keeps them unfolded for this pass).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "ops/nn/activation.h"
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

Attribute float_attr(float v) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = v;
  return a;
}

bool is_8bit(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

// A QuantizeLinear / DequantizeLinear node's constant parameters.
struct QdqParams {
  ValueId data = kNoValue, scale = kNoValue, zero_point = kNoValue;
  const Tensor* scale_t = nullptr;
  const Tensor* zp_t = nullptr;
  int64_t axis = 1;
  bool per_tensor() const { return scale_t->numel() == 1; }
  double s(int64_t i) const { return scale_t->at_double(per_tensor() ? 0 : i); }
  int64_t z(int64_t i) const { return zp_t && zp_t->numel() ? zp_t->at_int(zp_t->numel() == 1 ? 0 : i) : 0; }
};

bool qdq_params(const Graph& g, const Node& n, const char* op, QdqParams* p) {
  if (!n.domain.empty() || n.op_type != op || n.inputs.size() < 2) return false;
  p->data = n.inputs[0];
  p->scale = n.inputs[1];
  p->zero_point = n.inputs.size() > 2 ? n.inputs[2] : kNoValue;
  p->scale_t = constant_of(g, p->scale);
  p->zp_t = constant_of(g, p->zero_point);
  p->axis = n.attrs.get_int("axis", 1);
  if (!p->scale_t || p->scale_t->dtype() != DType::kFloat32 || p->scale_t->rank() > 1) return false;
  if (p->zero_point != kNoValue && !p->zp_t) return false;
  // The integer kernels write 8 bits: a 16-bit QuantizeLinear (opset 21, or ONNX Runtime's
  // com.microsoft one, imported as the standard op) stays a node of its own.
  if (std::string(op) == "QuantizeLinear" && p->zp_t && !is_8bit(p->zp_t->dtype())) return false;
  return true;
}

class QdqFusion {
 public:
  explicit QdqFusion(Graph& g) : g_(g) { index(); }

  Status run() {
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      QdqParams yq;
      if (dead_[i] || !qdq_params(g_, g_.nodes()[i], "QuantizeLinear", &yq) || !yq.per_tensor()) continue;
      EZ_RETURN_IF_ERROR(try_fuse(static_cast<int>(i), yq));
    }
    erase_nodes(g_, dead_);
    EZ_RETURN_IF_ERROR(fuse_activations());
    EZ_RETURN_IF_ERROR(fuse_float_result_convs());
    absorb_float_activations();
    requantize_float_results();
    EZ_RETURN_IF_ERROR(quantize_before_concat());
    quantize_before_pools();
    requantize_float_results();  // the QuantizeLinear nodes quantize_before_pools moved up
    return fold_constant_dequantize();
  }

 private:
  // Readers, producers and the dead marks of the current node list (again after each erasure:
  // node indices shift).
  void index() {
    readers_ = value_readers(g_);
    producer_ = value_producers(g_);
    dead_.assign(g_.nodes().size(), false);
  }

  // The node producing v when v feeds only `reader` (and is no graph output), else -1.
  int sole_producer(ValueId v, int reader) const {
    if (v == kNoValue || producer_[v] < 0 || dead_[producer_[v]]) return -1;
    return sole_reader(g_, readers_, v) == reader ? producer_[v] : -1;
  }

  // Dequantized input: the DequantizeLinear producing v (any number of readers).
  bool dequantized(ValueId v, QdqParams* p) const {
    if (v == kNoValue || producer_[v] < 0) return false;
    return qdq_params(g_, g_.nodes()[producer_[v]], "DequantizeLinear", p) && is_8bit(g_.value(p->data).desc.dtype);
  }

  // True when Q's saturation already applies the activation's clamp (within half a step).
  bool clamp_implied(const Node& act, const QdqParams& yq) const {
    const DType t = yq.zp_t ? yq.zp_t->dtype() : DType::kUInt8;
    const double qmin = t == DType::kUInt8 ? 0 : -128, qmax = t == DType::kUInt8 ? 255 : 127;
    const double s = yq.s(0), lo = (qmin - yq.z(0)) * s, hi = (qmax - yq.z(0)) * s;
    double a = -std::numeric_limits<double>::infinity(), b = std::numeric_limits<double>::infinity();
    if (act.op_type == "Relu") {
      a = 0;
    } else if (act.op_type == "Clip") {
      if (g_.opset < 11) {
        a = act.attrs.get_float("min", -std::numeric_limits<float>::max());
        b = act.attrs.get_float("max", std::numeric_limits<float>::max());
      } else {
        for (size_t k = 1; k < act.inputs.size() && k < 3; ++k) {
          if (act.inputs[k] == kNoValue) continue;
          const Tensor* c = constant_of(g_, act.inputs[k]);
          if (!c || c->numel() != 1) return false;
          (k == 1 ? a : b) = c->at_double(0);
        }
      }
    } else {
      return false;
    }
    return lo >= a - 0.5 * s && hi <= b + 0.5 * s;
  }

  Status try_fuse(int q_index, const QdqParams& yq) {
    const int q = q_index;
    int op = sole_producer(yq.data, q), act = -1;
    if (op >= 0 && (g_.nodes()[op].op_type == "Relu" || g_.nodes()[op].op_type == "Clip") && g_.nodes()[op].domain.empty()) {
      act = op;
      op = sole_producer(g_.nodes()[act].inputs[0], act);
      if (op < 0 || !clamp_implied(g_.nodes()[act], yq)) return Status::OK();
    }
    if (op < 0 || !g_.nodes()[op].domain.empty()) return Status::OK();
    Node fused;
    const Node& n = g_.nodes()[op];
    if (n.op_type == "Conv") {
      EZ_ASSIGN_OR_RETURN(bool ok, conv_node(n, &yq, &fused));
      if (!ok) return Status::OK();
    } else if (n.op_type == "MatMul") {
      if (!matmul_node(n, yq, &fused)) return Status::OK();
    } else {
      return Status::OK();
    }
    fused.outputs = g_.nodes()[q].outputs;
    g_.nodes()[q] = std::move(fused);
    dead_[op] = true;
    if (act >= 0) dead_[act] = true;
    return Status::OK();
  }

  // yq null: the float_accumulator form with a float result (placeholder y scale / zero point).
  Result<bool> conv_node(const Node& conv, const QdqParams* yq, Node* out) {
    QdqParams xq, wq;
    if (conv.inputs.size() < 2 || !dequantized(conv.inputs[0], &xq) || !xq.per_tensor() || !dequantized(conv.inputs[1], &wq))
      return false;
    const Tensor* w = constant_of(g_, wq.data);
    if (!w || w->rank() < 3) return false;
    const int64_t M = w->dim(0);
    if (!wq.per_tensor() && (wq.scale_t->numel() != M || (wq.axis != 0 && wq.axis != -w->rank()))) return false;
    if (wq.zp_t && wq.zp_t->dtype() != w->dtype()) return false;
    ValueId bias = kNoValue;
    if (conv.inputs.size() > 2 && conv.inputs[2] != kNoValue) {
      EZ_ASSIGN_OR_RETURN(bias, int32_bias(conv.inputs[2], xq, wq, M));
      if (bias == kNoValue) return false;
    }
    Node f;
    f.name = conv.name;
    f.op_type = "QLinearConv";
    f.attrs = conv.attrs;
    ValueId ys, yz;
    if (yq) {
      ys = yq->scale, yz = yq->zero_point;
    } else {
      EZ_ASSIGN_OR_RETURN(Tensor one, Tensor::allocate(DType::kFloat32, {}));
      one.data<float>()[0] = 1.0f;
      ys = add_constant_value(g_, conv.name + "/unused_y_scale", std::move(one));
      yz = add_constant_value(g_, conv.name + "/unused_y_zero_point", Tensor::zeros(DType::kUInt8, {}));
      f.attrs.set("float_accumulator", Attribute::of_int(1));
      f.attrs.set("output_float", Attribute::of_int(1));
    }
    f.inputs = {xq.data, xq.scale, xq.zero_point, wq.data, wq.scale, wq.zero_point, ys, yz};
    if (bias != kNoValue) f.inputs.push_back(bias);
    *out = std::move(f);
    return true;
  }

  // The conv bias as int32 at scale s_x*s_w[m]: from a DequantizeLinear of int32 constants or a
  // float constant (rounded; off by at most half a step of the accumulator, far below one output
  // step). kNoValue when the bias is neither.
  Result<ValueId> int32_bias(ValueId b, const QdqParams& xq, const QdqParams& wq, int64_t M) {
    std::vector<double> real(M);
    QdqParams bq;
    const Tensor* c = constant_of(g_, b);
    if (c && c->dtype() == DType::kFloat32 && c->numel() == M) {
      for (int64_t m = 0; m < M; ++m) real[m] = c->at_double(m);
    } else if (b != kNoValue && producer_[b] >= 0 && qdq_params(g_, g_.nodes()[producer_[b]], "DequantizeLinear", &bq)) {
      const Tensor* bi = constant_of(g_, bq.data);
      if (!bi || bi->dtype() != DType::kInt32 || bi->numel() != M || (!bq.per_tensor() && bq.scale_t->numel() != M)) return kNoValue;
      for (int64_t m = 0; m < M; ++m) real[m] = (bi->at_double(m) - bq.z(m)) * bq.s(m);
    } else {
      return kNoValue;
    }
    EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::kInt32, {M}));
    for (int64_t m = 0; m < M; ++m) {
      // s_x*s_w in float32, as the kernels compute it.
      const double step = static_cast<float>(static_cast<float>(xq.s(0)) * static_cast<float>(wq.s(m)));
      const double v = step > 0 ? std::nearbyint(real[m] / step) : 0.0;
      if (std::fabs(v) > 2147483647.0) return kNoValue;
      t.data<int32_t>()[m] = static_cast<int32_t>(v);
    }
    return add_constant_value(g_, g_.value(b).name + "/int32", std::move(t));
  }

  bool matmul_node(const Node& mm, const QdqParams& yq, Node* out) const {
    QdqParams aq, bq;
    if (mm.inputs.size() != 2 || !dequantized(mm.inputs[0], &aq) || !aq.per_tensor() || !dequantized(mm.inputs[1], &bq)) return false;
    if (!bq.per_tensor()) {  // per column of a 2-D B
      const Shape& bs = g_.value(bq.data).desc.shape;
      if (bs.size() != 2 || (bq.axis != 1 && bq.axis != -1) || bq.scale_t->numel() != bs[1]) return false;
    }
    Node f;
    f.name = mm.name;
    f.op_type = "QLinearMatMul";
    f.inputs = {aq.data, aq.scale, aq.zero_point, bq.data, bq.scale, bq.zero_point, yq.scale, yq.zero_point};
    *out = std::move(f);
    return true;
  }

  // Recognises a single-input float activation node (FusedConv's set).
  bool activation_of(const Node& n, ops::ActivationSpec* a) const {
    using ops::Activation;
    if (!n.domain.empty() || n.inputs.empty()) return false;
    const std::string& op = n.op_type;
    if (op == "Relu") a->kind = Activation::kRelu;
    else if (op == "Sigmoid") a->kind = Activation::kSigmoid;
    else if (op == "Tanh") a->kind = Activation::kTanh;
    else if (op == "HardSwish") a->kind = Activation::kHardSwish;
    else if (op == "LeakyRelu") {
      a->kind = Activation::kLeakyRelu;
      a->alpha = n.attrs.get_float("alpha", 0.01f);
    } else if (op == "HardSigmoid") {
      a->kind = Activation::kHardSigmoid;
      a->alpha = n.attrs.get_float("alpha", 0.2f);
      a->beta = n.attrs.get_float("beta", 0.5f);
    } else if (op == "Clip") {
      a->kind = Activation::kClip;
      a->alpha = -std::numeric_limits<float>::max();
      a->beta = std::numeric_limits<float>::max();
      if (g_.opset < 11) {
        a->alpha = n.attrs.get_float("min", a->alpha);
        a->beta = n.attrs.get_float("max", a->beta);
      } else {
        for (size_t k = 1; k < n.inputs.size() && k < 3; ++k) {
          if (n.inputs[k] == kNoValue) continue;
          const Tensor* c = constant_of(g_, n.inputs[k]);
          if (!c || c->numel() != 1) return false;
          (k == 1 ? a->alpha : a->beta) = static_cast<float>(c->at_double(0));
        }
      }
    } else {
      return false;
    }
    return true;
  }

  // The float activation reading d alone (one node, or SiLU as Sigmoid(d) and Mul(d, s)): its
  // last node, the nodes to absorb, the spec; -1 when there is none (or d is a graph output).
  int activation_after(ValueId d, const std::vector<std::vector<int>>& readers, ops::ActivationSpec* act,
                       std::vector<int>* absorbed) const {
    const auto& rd = readers[d];
    if (is_graph_output(g_, d)) return -1;  // d itself is needed
    if (rd.size() == 1 && activation_of(g_.nodes()[rd[0]], act)) {
      *absorbed = {rd[0]};
      return rd[0];
    }
    if (rd.size() != 2) return -1;
    for (int k = 0; k < 2; ++k) {
      if (silu_mul(g_, readers, rd[k]) != rd[1 - k]) continue;  // rd[k] = Sigmoid(d), rd[1 - k] = Mul(d, it)
      act->kind = ops::Activation::kSilu;
      *absorbed = {rd[0], rd[1]};
      return rd[1 - k];
    }
    return -1;
  }

  static bool float_result_conv(const Node& n) {
    return n.op_type == "QLinearConv" && n.domain.empty() && n.attrs.get_int("float_accumulator", 0) != 0 &&
           n.attrs.get_int("output_float", 0) != 0;
  }

  // DequantizeLinear(x_q), DequantizeLinear(w_q) -> Conv whose result no QuantizeLinear took (the
  // QDQ placement of input-only quantizers): an integer convolution with a float result.
  Status fuse_float_result_convs() {
    index();  // conv_node looks producers up
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      const Node& n = g_.nodes()[i];
      if (n.op_type != "Conv" || !n.domain.empty() || n.outputs.size() != 1) continue;
      Node fused;
      EZ_ASSIGN_OR_RETURN(bool ok, conv_node(n, nullptr, &fused));
      if (!ok) continue;
      fused.outputs = n.outputs;
      g_.nodes()[i] = std::move(fused);
    }
    return Status::OK();
  }

  // ... -> the float activation after it, computed inside.
  void absorb_float_activations() {
    const auto readers = value_readers(g_);
    std::vector<bool> dead(g_.nodes().size(), false);
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      Node& conv = g_.nodes()[i];
      if (!float_result_conv(conv) || conv.attrs.has("activation")) continue;
      ops::ActivationSpec act;
      std::vector<int> absorbed;
      const int last = activation_after(conv.outputs[0], readers, &act, &absorbed);
      bool taken = last < 0;
      for (int k : absorbed) taken = taken || dead[k];
      if (taken) continue;
      ops::activation_to_attrs(act, &conv.attrs);
      conv.outputs = g_.nodes()[last].outputs;
      for (int k : absorbed) dead[k] = true;
    }
    erase_nodes(g_, dead);
  }

  // ... [-> Mul by per-channel constants] -> QuantizeLinear (per tensor; each the only reader of
  // what it reads): the convolution writes z_q itself. The Mul is what edgezoo's quantizer writes
  // to equalize the channels of a depthwise convolution's input (quant/equalize); the
  // convolution then multiplies each channel after its activation, as the Mul node would.
  void requantize_float_results() {
    const auto readers = value_readers(g_);
    std::vector<bool> dead(g_.nodes().size(), false);
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      Node& conv = g_.nodes()[i];
      if (!float_result_conv(conv)) continue;
      int q = sole_reader(g_, readers, conv.outputs[0]), mul = -1;
      ValueId multiplier = kNoValue;
      if (q >= 0 && !dead[q] && is_channel_mul(conv, g_.nodes()[q])) {
        mul = q;
        q = sole_reader(g_, readers, g_.nodes()[mul].outputs[0]);
      }
      QdqParams zq;
      if (q < 0 || dead[q] || !qdq_params(g_, g_.nodes()[q], "QuantizeLinear", &zq) || !zq.per_tensor()) continue;
      if (mul >= 0) {
        multiplier = channel_multiplier(conv, g_.nodes()[mul]);
        dead[mul] = true;
      }
      take_quantization(conv, zq, g_.nodes()[q].outputs[0]);
      if (multiplier != kNoValue) {
        conv.inputs.resize(9, kNoValue);
        conv.inputs.push_back(multiplier);
      }
      dead[q] = true;
    }
    erase_nodes(g_, dead);
  }

  // Whether `mul` multiplies the convolution's float result by a constant per output channel (a
  // scalar or [M]/[M,1,...]/[1,M,1,...] broadcast over the channel dim).
  bool is_channel_mul(const Node& conv, const Node& mul) const {
    if (mul.op_type != "Mul" || !mul.domain.empty() || mul.inputs.size() != 2 || mul.outputs.size() != 1) return false;
    const ValueId y = conv.outputs[0];
    const ValueId other = mul.inputs[0] == y ? mul.inputs[1] : mul.inputs[1] == y ? mul.inputs[0] : kNoValue;
    const Tensor* c = other == kNoValue || other == y ? nullptr : constant_of(g_, other);
    const Shape& ys = g_.value(y).desc.shape;
    if (!c || ys.size() < 3 || g_.value(mul.outputs[0]).desc.shape != ys) return false;
    std::vector<double> values;
    return per_channel_values(*c, ys.size(), ys[1], &values);
  }

  // The M per-channel values of an is_channel_mul() Mul as a new float constant [M].
  ValueId channel_multiplier(const Node& conv, const Node& mul) {
    const ValueId y = conv.outputs[0];
    const ValueId other = mul.inputs[0] == y ? mul.inputs[1] : mul.inputs[0];
    const int64_t M = g_.value(y).desc.shape[1];
    std::vector<double> values;
    per_channel_values(*constant_of(g_, other), g_.value(y).desc.shape.size(), M, &values);
    Tensor t = Tensor::zeros(DType::kFloat32, {M});
    for (int64_t m = 0; m < M; ++m) t.data<float>()[m] = static_cast<float>(values[m]);
    return add_constant_value(g_, g_.value(other).name + "/channel_multiplier", std::move(t));
  }

  // A float_accumulator QLinearConv that wrote float now writes `out`, quantized with zq.
  static void take_quantization(Node& conv, const QdqParams& zq, ValueId out) {
    Attributes kept;
    for (const auto& kv : conv.attrs.all())
      if (kv.first != "output_float") kept.set(kv.first, kv.second);
    conv.attrs = kept;
    conv.inputs[6] = zq.scale;
    conv.inputs[7] = zq.zero_point;
    conv.outputs = {out};
  }

  // QLinearConv -> y_q -> DequantizeLinear -> act -> QuantizeLinear: the activation moves into the
  // QLinearConv, which then writes the QuantizeLinear's output. When y_q is only dequantized
  // (and activated) for float readers, the QLinearConv writes that float value itself.
  Status fuse_activations() {
    const auto readers = value_readers(g_);
    std::vector<bool> dead(g_.nodes().size(), false);
    auto sole = [&](ValueId v) { return sole_reader(g_, readers, v); };
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      Node& conv = g_.nodes()[i];
      if (conv.op_type != "QLinearConv" || !conv.domain.empty() || conv.attrs.has("activation") || conv.inputs.size() < 8) continue;
      const ValueId y = conv.outputs[0];
      const int dq = sole(y);
      QdqParams yq, zq;
      if (dq < 0 || dead[dq] || !qdq_params(g_, g_.nodes()[dq], "DequantizeLinear", &yq) || yq.data != y || !yq.per_tensor())
        continue;
      // The activation's input scale / zero point must be the ones the QLinearConv wrote with.
      if (yq.scale != conv.inputs[6] || yq.zero_point != conv.inputs[7]) continue;
      const ValueId d = g_.nodes()[dq].outputs[0];
      ops::ActivationSpec act;
      std::vector<int> absorbed;
      const int last = activation_after(d, readers, &act, &absorbed);
      // Without an activation to take in, a dequantized value that convolutions or matrix
      // products read stays int8 for them (fuse_float_result_convs makes them integer too).
      if (last < 0 && std::any_of(readers[d].begin(), readers[d].end(), [&](int r) {
            const Node& n = g_.nodes()[r];
            return n.domain.empty() && (n.op_type == "Conv" || n.op_type == "MatMul");
          }))
        continue;
      const int q = last >= 0 ? sole(g_.nodes()[last].outputs[0]) : -1;
      bool requantized = q >= 0 && !dead[q] && qdq_params(g_, g_.nodes()[q], "QuantizeLinear", &zq) && zq.per_tensor();
      bool taken = false;
      for (int k : absorbed) taken = taken || dead[k];
      if (taken) continue;
      if (requantized) {  // -> int8 again: the QLinearConv writes z_q
        ops::activation_to_attrs(act, &conv.attrs);
        conv.attrs.set("activation_input_scale", float_attr(static_cast<float>(yq.s(0))));
        conv.attrs.set("activation_input_zero_point", Attribute::of_int(yq.z(0)));
        conv.attrs.set("activation_input_type", Attribute::of_int(static_cast<int64_t>(g_.value(y).desc.dtype)));
        conv.inputs[6] = zq.scale;
        conv.inputs[7] = zq.zero_point;
        conv.outputs = g_.nodes()[q].outputs;
        dead[q] = true;
      } else {  // read in float: the QLinearConv writes the dequantized (and activated) value
        if (last >= 0) ops::activation_to_attrs(act, &conv.attrs);
        conv.attrs.set("output_float", Attribute::of_int(1));
        conv.outputs = {last >= 0 ? g_.nodes()[last].outputs[0] : d};
      }
      dead[dq] = true;
      for (int k : absorbed) dead[k] = true;
    }
    erase_nodes(g_, dead);
    return Status::OK();
  }

  // Concat -> QuantizeLinear (per tensor) becomes QuantizeLinear of each input -> Concat on int8,
  // which is exactly equal (the quantization is elementwise). An input written in float by an
  // activated QLinearConv (output_float) is then requantised by that convolution itself, so
  // neither the float tensor nor the QuantizeLinear pass over it remains; other inputs get their
  // own QuantizeLinear node.
  Status quantize_before_concat() {
    const auto readers = value_readers(g_);
    std::vector<int> producer = value_producers(g_);
    std::vector<bool> dead(g_.nodes().size(), false);
    std::vector<std::vector<Node>> before(g_.nodes().size());  // new nodes to put before node i
    for (size_t qi = 0; qi < g_.nodes().size(); ++qi) {
      QdqParams zq;
      const Node& qn = g_.nodes()[qi];
      if (!qdq_params(g_, qn, "QuantizeLinear", &zq) || !zq.per_tensor() || qn.outputs.size() != 1) continue;
      const int ci = producer[zq.data];
      if (ci < 0 || dead[ci] || g_.nodes()[ci].op_type != "Concat" || !g_.nodes()[ci].domain.empty()) continue;
      if (sole_reader(g_, readers, zq.data) != static_cast<int>(qi)) continue;
      const DType qt = zq.zp_t ? zq.zp_t->dtype() : DType::kUInt8;
      Node& concat = g_.nodes()[ci];
      bool all_float = true;
      for (ValueId in : concat.inputs) all_float = all_float && in != kNoValue && g_.value(in).desc.dtype == DType::kFloat32;
      if (!all_float) continue;
      for (ValueId& in : concat.inputs) {
        const ValueId v = in;
        Node q = quantize_node(v, zq, qt);
        const ValueId vq = q.outputs[0];
        const int p = producer[v];
        if (p >= 0 && !dead[p] && requantize_float_conv(g_.nodes()[p], readers, v, zq, vq, ci)) {
          in = vq;
          continue;
        }
        before[ci].push_back(std::move(q));
        in = vq;
      }
      concat.outputs = qn.outputs;
      dead[qi] = true;
    }
    std::vector<Node> out;
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      for (Node& n : before[i]) out.push_back(std::move(n));
      if (!dead[i]) out.push_back(std::move(g_.nodes()[i]));
    }
    g_.nodes() = std::move(out);
    return Status::OK();
  }

  // Whether node p's output, quantized, equals p run on its quantized input: MaxPool (quantization
  // is monotonic, so it commutes with a max; padding is never chosen), a nearest Resize (a copy;
  // not tf_crop_and_resize, whose extrapolation value is written as it is) and the Focus stem's
  // SpaceToDepthBlocks (a gather).
  bool commutes_with_quantization(const Node& p) const {
    if (!p.domain.empty() || p.outputs.size() != 1 || p.inputs.empty() || p.inputs[0] == kNoValue) return false;
    if (g_.value(p.inputs[0]).desc.dtype != DType::kFloat32) return false;
    if (p.op_type == "MaxPool") return p.attrs.get_int("storage_order", 0) == 0;
    if (p.op_type == "SpaceToDepthBlocks") return true;
    return p.op_type == "Resize" && p.attrs.get_string("mode", "nearest") == "nearest" &&
           p.attrs.get_string("coordinate_transformation_mode", "half_pixel") != "tf_crop_and_resize";
  }

  // QuantizeLinear(MaxPool(u)) and QuantizeLinear(nearest Resize(u)), the pooled or resized value
  // read by that QuantizeLinear alone, become MaxPool / Resize of QuantizeLinear(u): exactly equal
  // (commutes_with_quantization). QuantizeLinear nodes of one value with the same parameters are
  // shared, so a float-result convolution producing u can then write it itself
  // (requantize_float_results). In YOLO necks (after quantize_before_concat): the SPP max pools
  // and the upsampling before a Concat run on int8, a quarter of the bytes, and the QuantizeLinear
  // passes over their outputs go.
  void quantize_before_pools() {
    for (bool changed = true; changed;) {
      changed = false;
      const auto readers = value_readers(g_);
      const std::vector<int> producer = value_producers(g_);
      std::vector<bool> dead(g_.nodes().size(), false);
      // The QuantizeLinear nodes the pools now read go right after the producer of what they read
      // (first, for graph inputs): new ones, and existing ones moved there (one made for a later
      // Concat may come after the pool).
      std::vector<Node> first;
      std::vector<std::vector<Node>> after(g_.nodes().size());
      std::vector<bool> moved(g_.nodes().size(), false);
      auto place = [&](ValueId u, Node n) { (producer[u] >= 0 ? after[producer[u]] : first).push_back(std::move(n)); };
      // (value, scale, zero point) -> that value quantized, and the existing node doing it (-1: new).
      std::map<std::tuple<ValueId, ValueId, ValueId>, std::pair<ValueId, int>> quantized;
      for (size_t i = 0; i < g_.nodes().size(); ++i) {
        QdqParams p;
        const Node& n = g_.nodes()[i];
        if (qdq_params(g_, n, "QuantizeLinear", &p) && p.per_tensor() && n.outputs.size() == 1)
          quantized.emplace(std::make_tuple(p.data, p.scale, p.zero_point), std::make_pair(n.outputs[0], static_cast<int>(i)));
      }
      for (size_t qi = 0; qi < g_.nodes().size(); ++qi) {
        QdqParams zq;
        const Node& qn = g_.nodes()[qi];
        if (dead[qi] || !qdq_params(g_, qn, "QuantizeLinear", &zq) || !zq.per_tensor() || qn.outputs.size() != 1) continue;
        const int pi = producer[zq.data];
        if (pi < 0 || !commutes_with_quantization(g_.nodes()[pi])) continue;
        if (sole_reader(g_, readers, zq.data) != static_cast<int>(qi)) continue;
        Node& pool = g_.nodes()[pi];
        const ValueId u = pool.inputs[0];
        auto key = std::make_tuple(u, zq.scale, zq.zero_point);
        auto it = quantized.find(key);
        if (it == quantized.end()) {
          Node q = quantize_node(u, zq, g_.value(qn.outputs[0]).desc.dtype);
          it = quantized.emplace(key, std::make_pair(q.outputs[0], -1)).first;
          place(u, std::move(q));
        } else if (const int e = it->second.second; e >= 0 && !moved[e]) {
          moved[e] = true;
          place(u, g_.nodes()[e]);
        }
        pool.inputs[0] = it->second.first;
        pool.outputs = qn.outputs;
        dead[qi] = true;
        changed = true;
      }
      std::vector<Node> out = std::move(first);
      for (size_t i = 0; i < g_.nodes().size(); ++i) {
        if (!dead[i] && !moved[i]) out.push_back(std::move(g_.nodes()[i]));
        for (Node& n : after[i]) out.push_back(std::move(n));
      }
      g_.nodes() = std::move(out);
    }
  }

  // A QLinearConv writing float value v for the Concat alone (activated, or float_accumulator):
  // make it write vq, the value quantized with zq, instead (for the activated one, the activation
  // input is its current output quantization).
  bool requantize_float_conv(Node& conv, const std::vector<std::vector<int>>& readers, ValueId v, const QdqParams& zq,
                             ValueId vq, int concat) {
    if (float_result_conv(conv) && conv.outputs[0] == v && sole_reader(g_, readers, v) == concat) {
      take_quantization(conv, zq, vq);
      return true;
    }
    if (conv.op_type != "QLinearConv" || conv.attrs.get_int("output_float", 0) == 0 || !conv.attrs.has("activation") ||
        conv.inputs.size() < 8 || conv.outputs[0] != v || sole_reader(g_, readers, v) != concat)
      return false;
    const Tensor* ys = constant_of(g_, conv.inputs[6]);
    const Tensor* yz = conv.inputs[7] == kNoValue ? nullptr : constant_of(g_, conv.inputs[7]);
    if (!ys || ys->numel() != 1 || (conv.inputs[7] != kNoValue && (!yz || yz->numel() != 1))) return false;
    conv.attrs.set("activation_input_scale", float_attr(static_cast<float>(ys->at_double(0))));
    conv.attrs.set("activation_input_zero_point", Attribute::of_int(yz ? yz->at_int(0) : 0));
    conv.attrs.set("activation_input_type", Attribute::of_int(static_cast<int64_t>(yz ? yz->dtype() : DType::kUInt8)));
    take_quantization(conv, zq, vq);
    return true;
  }

  // A new QuantizeLinear node of v with zq's scale and zero point, to type qt, and its new output
  // value (named after v); the caller places the node.
  Node quantize_node(ValueId v, const QdqParams& zq, DType qt) {
    Value nv;
    nv.name = unique_name(g_.value(v).name + "_q");
    nv.desc = {qt, g_.value(v).desc.shape};
    const ValueId vq = g_.add_value(std::move(nv));
    Node q;
    q.name = g_.value(vq).name;
    q.op_type = "QuantizeLinear";
    q.inputs = {v, zq.scale, zq.zero_point};
    q.outputs = {vq};
    return q;
  }

  std::string unique_name(const std::string& base) const {
    std::string name = base;
    for (int k = 1; g_.find_value(name) != kNoValue; ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  // DequantizeLinear of constants that no fusion took: float constants, as constant folding
  // would have made them.
  Status fold_constant_dequantize() {
    const auto readers = value_readers(g_);
    std::vector<bool> dead(g_.nodes().size(), false);
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      const Node& n = g_.nodes()[i];
      QdqParams p;
      if (!qdq_params(g_, n, "DequantizeLinear", &p) || !constant_of(g_, p.data) || n.outputs.size() != 1) continue;
      const ValueId y = n.outputs[0];
      if (readers[y].empty() && !is_graph_output(g_, y)) continue;  // dead anyway
      const Tensor& x = *constant_of(g_, p.data);
      if (g_.value(y).desc.dtype != DType::kFloat32) continue;
      int64_t inner = 1, len = 1;
      if (!p.per_tensor()) {
        const int64_t r = x.rank(), a = p.axis < 0 ? p.axis + r : p.axis;
        if (a < 0 || a >= r || x.dim(a) != p.scale_t->numel()) continue;  // let the kernel report it
        len = x.dim(a);
        for (int64_t d = a + 1; d < r; ++d) inner *= x.dim(d);
      }
      EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::kFloat32, x.shape()));
      for (int64_t k = 0; k < x.numel(); ++k) {
        const int64_t c = p.per_tensor() ? 0 : (k / inner) % len;
        t.data<float>()[k] = static_cast<float>((x.at_double(k) - p.z(c)) * p.s(c));
      }
      g_.value(y).constant = std::move(t);
      dead[i] = true;
    }
    erase_nodes(g_, dead);
    return Status::OK();
  }

  Graph& g_;
  std::vector<std::vector<int>> readers_;
  std::vector<int> producer_;
  std::vector<bool> dead_;
};

}  // namespace

Status fuse_qdq(Graph& graph) { return QdqFusion(graph).run(); }

}  // namespace ez
