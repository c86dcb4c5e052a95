#include "quant/qdq_writer.h"

#include <cstring>
#include <tuple>
#include <set>
#include <vector>

#include "onnx/tensor_proto.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"
#include "quant/bias_correction.h"
#include "quant/channel_equalize.h"
#include "quant/weight_quant.h"

namespace ez::quant {
namespace {

onnx::TensorProto make_tensor(const std::string& name, int onnx_type, const std::vector<int64_t>& dims, const void* data,
                              size_t bytes) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx_type);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(static_cast<const char*>(data), bytes));
  return t;
}

// Scale and zero point: scalars (per tensor) or 1-D (per channel).
void add_scale_zero_point(onnx::GraphProto* g, const std::string& scale_name, const std::string& zp_name,
                          const std::vector<float>& scales, int zp_type, int32_t zero_point, bool per_channel) {
  const std::vector<int64_t> dims = per_channel ? std::vector<int64_t>{static_cast<int64_t>(scales.size())} : std::vector<int64_t>{};
  *g->add_initializer() = make_tensor(scale_name, onnx::TensorProto::FLOAT, dims, scales.data(), scales.size() * sizeof(float));
  const size_t n = scales.size();
  if (zp_type == onnx::TensorProto::INT32) {
    std::vector<int32_t> zp(n, zero_point);
    *g->add_initializer() = make_tensor(zp_name, zp_type, dims, zp.data(), n * 4);
  } else if (zp_type == onnx::TensorProto::UINT16 || zp_type == onnx::TensorProto::INT16) {
    std::vector<uint16_t> zp(n, static_cast<uint16_t>(zero_point));  // raw data is little-endian, as on x86 and Arm
    *g->add_initializer() = make_tensor(zp_name, zp_type, dims, zp.data(), n * 2);
  } else {
    std::vector<uint8_t> zp(n, static_cast<uint8_t>(zero_point));  // int8 0 and uint8 zp share the byte
    *g->add_initializer() = make_tensor(zp_name, zp_type, dims, zp.data(), n);
  }
}

// ONNX Runtime's contrib domain: QuantizeLinear/DequantizeLinear with 16-bit types below opset 21.
constexpr const char* kContribDomain = "com.microsoft";

onnx::NodeProto make_node(const std::string& op, const std::string& name, const std::vector<std::string>& in,
                          const std::string& out, int axis, const char* domain = "") {
  onnx::NodeProto n;
  n.set_op_type(op);
  if (*domain) n.set_domain(domain);
  n.set_name(name);
  for (const auto& s : in) n.add_input(s);
  n.add_output(out);
  if (axis >= 0) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

class NameSet {
 public:
  explicit NameSet(const onnx::GraphProto& g) {
    for (const auto& t : g.initializer()) used_.insert(t.name());
    for (const auto& v : g.input()) used_.insert(v.name());
    for (const auto& n : g.node()) {
      used_.insert(n.name());
      for (const auto& o : n.output()) used_.insert(o);
    }
  }
  std::string fresh(const std::string& base) {
    std::string s = base;
    for (int k = 1; !used_.insert(s).second; ++k) s = base + "_" + std::to_string(k);
    return s;
  }

 private:
  std::set<std::string> used_;
};

}  // namespace

Result<int> upgrade_opset(onnx::ModelProto* model, int min_opset) {
  int before = 1;
  bool found = false;
  for (const auto& op : model->opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") {
      before = static_cast<int>(op.version());
      found = true;
    }
  if (!found) before = 1;
  if (before < min_opset) {
    try {
      // Some adapters (Softmax 12->13) need shapes: annotate them first.
      onnx::ShapeInferenceOptions opts{false, 0, false};
      onnx::shape_inference::InferShapes(*model, onnx::OpSchemaRegistry::Instance(), opts);
    } catch (...) {  // the converter then reports what it could not do
    }
    try {
      *model = onnx::version_conversion::ConvertVersion(*model, min_opset);
    } catch (const std::exception& e) {
      std::string why = e.what();
      const size_t nl = why.find('\n');
      if (nl != std::string::npos) why.resize(nl);
      return unsupported("cannot raise the model's opset from " + std::to_string(before) + " to " + std::to_string(min_opset) +
                         (min_opset == 13 ? " (needed for per-channel DequantizeLinear; --per-tensor needs opset 10 only): "
                                          : " (QuantizeLinear needs it): ") + why);
    }
  }
  const int64_t min_ir = std::max(before, min_opset) >= 13 ? 7 : 5;
  if (model->ir_version() < min_ir) model->set_ir_version(min_ir);
  return before;
}

Result<QdqCounts> insert_qdq(onnx::ModelProto* model, const QdqPlan& plan, const std::map<std::string, ActivationQuant>& act,
                             ActType act_type, const std::string& external_dir) {
  onnx::GraphProto* g = model->mutable_graph();
  NameSet names(*g);
  // Elements of a RepeatedPtrField keep their address when more are added, so these stay valid
  // while the new initializers go in.
  const std::map<std::string, const onnx::TensorProto*> consts = constant_tensors(*g);
  const bool symmetric = act_type == ActType::kInt8Symmetric;
  const int act_zp_type = symmetric ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8;
  const int act16_zp_type = symmetric ? onnx::TensorProto::INT16 : onnx::TensorProto::UINT16;

  QdqCounts counts;
  std::vector<onnx::NodeProto> head;                       // weight/bias DQs and graph-input Q/DQs
  std::map<std::string, std::vector<onnx::NodeProto>> after;  // Q/DQ pairs after a tensor's producer
  std::map<std::string, std::string> act_dq;               // activation -> its DQ output
  struct WeightDq {
    std::string output;
    std::vector<float> scales;
    Tensor quantized_float, dequantized;  // for bias correction
  };
  // (weight, axis, equalized activation read) -> its DQ
  std::map<std::tuple<std::string, int, std::string>, WeightDq> weight_dq;
  std::set<std::string> replaced;                          // float initializers now read through DQ
  std::set<std::string> graph_inputs;
  for (const auto& v : g->input()) graph_inputs.insert(v.name());

  // `rank`: the tensor's rank, for the shape [1, C, 1...] of the channel scales.
  auto activation = [&](const std::string& x, int rank) -> std::string {
    auto it = act_dq.find(x);
    if (it != act_dq.end()) return it->second;
    const ActivationQuant& a = act.at(x);
    const QuantParams& p = a.quantizer.params;
    std::vector<onnx::NodeProto>& where = graph_inputs.count(x) ? head : after[x];
    std::string source = x;
    if (!a.quantizer.channel_scale.empty()) {
      std::vector<int64_t> dims(std::max(rank, 2), 1);
      dims[1] = static_cast<int64_t>(a.quantizer.channel_scale.size());
      const std::string scales = names.fresh(x + "_channel_scale");
      *g->add_initializer() = make_tensor(scales, onnx::TensorProto::FLOAT, dims, a.quantizer.channel_scale.data(),
                                          a.quantizer.channel_scale.size() * sizeof(float));
      source = names.fresh(x + "_equalized");
      onnx::NodeProto mul = make_node("Mul", names.fresh(x + "_equalize"), {x, scales}, source, -1);
      where.push_back(std::move(mul));
      ++counts.equalized;
    }
    const std::string scale = names.fresh(x + "_scale"), zp = names.fresh(x + "_zero_point");
    add_scale_zero_point(g, scale, zp, {p.scale}, a.int16 ? act16_zp_type : act_zp_type, p.zero_point, false);
    const std::string q_out = names.fresh(x + "_QuantizeLinear_Output");
    const std::string dq_out = names.fresh(x + "_DequantizeLinear_Output");
    const char* domain = a.int16 ? kContribDomain : "";
    where.push_back(make_node("QuantizeLinear", names.fresh(x + "_QuantizeLinear"), {source, scale, zp}, q_out, -1, domain));
    where.push_back(make_node("DequantizeLinear", names.fresh(x + "_DequantizeLinear"), {q_out, scale, zp}, dq_out, -1, domain));
    ++counts.activations;
    if (a.int16) ++counts.int16_activations;
    return act_dq[x] = dq_out;
  };

  for (const NodeQuant& nq : plan.nodes) {
    onnx::NodeProto* n = g->mutable_node(nq.node);
    bool ready = true;
    for (int slot : nq.activation_inputs) ready &= act.count(n->input(slot)) > 0;
    if (!ready) continue;  // an input is not float or was not calibrated: keep the node in float
    const std::string x = n->input(0);
    const ActivationQuant& in = act.at(x);
    const float input_scale = in.quantizer.params.scale;
    const int weight_rank = nq.weight_input >= 0 ? consts.at(n->input(nq.weight_input))->dims_size() : 2;
    bool reads_int16 = false;  // then the node computes in float: its bias stays float
    for (int slot : nq.activation_inputs) reads_int16 |= act.at(n->input(slot)).int16;
    for (int slot : nq.activation_inputs) n->set_input(slot, activation(n->input(slot), weight_rank));
    const bool equalized = !in.quantizer.channel_scale.empty();
    const WeightDq* wdq = nullptr;
    if (nq.weight_input >= 0) {
      const std::string w = n->input(nq.weight_input);
      auto key = std::make_tuple(w, nq.weight_axis, equalized ? x : std::string());
      auto it = weight_dq.find(key);
      if (it == weight_dq.end()) {
        EZ_ASSIGN_OR_RETURN(Tensor wf, tensor_from_proto(*consts.at(w), external_dir));
        if (equalized) {
          auto scaled = scale_depthwise_weight(wf, in.quantizer.channel_scale);
          if (!scaled) return internal_error("channel scales of '" + x + "' do not fit the weight '" + w + "' of node '" + n->name() + "'");
          wf = std::move(*scaled);
        }
        auto qw = quantize_weight(wf, nq.weight_axis);
        if (!qw.ok()) return qw.status().with_context("weight '" + w + "' of node '" + n->name() + "'");
        std::vector<int64_t> dims(wf.shape().begin(), wf.shape().end());
        const std::string qname = names.fresh(w + "_quantized");
        *g->add_initializer() = make_tensor(qname, onnx::TensorProto::INT8, dims, qw->values.raw(), qw->values.nbytes());
        const std::string scale = names.fresh(w + "_scale"), zp = names.fresh(w + "_zero_point");
        add_scale_zero_point(g, scale, zp, qw->scales, onnx::TensorProto::INT8, 0, qw->axis >= 0);
        const std::string out = names.fresh(w + "_DequantizeLinear_Output");
        head.push_back(make_node("DequantizeLinear", names.fresh(w + "_DequantizeLinear"), {qname, scale, zp}, out, qw->axis));
        WeightDq d{out, qw->scales, std::move(wf), dequantize_weight(qw->values, qw->scales, qw->axis)};
        it = weight_dq.emplace(key, std::move(d)).first;
        ++counts.weights;
      }
      wdq = &it->second;
      n->set_input(nq.weight_input, wdq->output);
      replaced.insert(w);
    }
    if (nq.bias_input >= 0 && wdq) {
      const std::string b = n->input(nq.bias_input);
      EZ_ASSIGN_OR_RETURN(Tensor bf, tensor_from_proto(*consts.at(b), external_dir));
      bool corrected_now = false;
      if (!in.error.mean.empty()) {
        auto corrected = corrected_bias(*n, &bf, wdq->quantized_float, wdq->dequantized, in.error);
        if (corrected) {
          bf = std::move(*corrected);
          ++counts.corrected_biases;
          corrected_now = true;
        }
      }
      // A per-channel weight must have one scale per bias element (ConvTranspose: per group).
      const std::vector<float>& wscales = wdq->scales;
      if (reads_int16) {  // a float bias (16-bit input scales would crowd int32), corrected if it was
        if (corrected_now) {
          const std::string fname = names.fresh(b + "_corrected");
          *g->add_initializer() = make_tensor(fname, onnx::TensorProto::FLOAT, {bf.dim(0)}, bf.raw(), bf.nbytes());
          n->set_input(nq.bias_input, fname);
          replaced.insert(b);
        }
      } else if (wscales.size() == 1 || bf.dim(0) % static_cast<int64_t>(wscales.size()) == 0) {
        auto qb = quantize_bias(bf, input_scale, wscales);
        if (!qb.ok()) return qb.status().with_context("bias '" + b + "' of node '" + n->name() + "'");
        const std::string qname = names.fresh(b + "_quantized");
        *g->add_initializer() = make_tensor(qname, onnx::TensorProto::INT32, {bf.dim(0)}, qb->values.raw(), qb->values.nbytes());
        const std::string scale = names.fresh(b + "_scale"), zp = names.fresh(b + "_zero_point");
        add_scale_zero_point(g, scale, zp, qb->scales, onnx::TensorProto::INT32, 0, qb->axis >= 0);
        const std::string out = names.fresh(b + "_DequantizeLinear_Output");
        head.push_back(make_node("DequantizeLinear", names.fresh(b + "_DequantizeLinear"), {qname, scale, zp}, out, qb->axis));
        n->set_input(nq.bias_input, out);
        replaced.insert(b);
        ++counts.biases;
      }
    }
    ++counts.nodes;
  }

  // New node order: constant DQs and graph-input pairs first, then each node followed by the
  // pairs on its outputs (the graph stays topologically sorted).
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto& n : head) *nodes.Add() = std::move(n);
  for (auto& n : *g->mutable_node()) {
    std::vector<std::string> outs(n.output().begin(), n.output().end());
    *nodes.Add() = std::move(n);
    for (const auto& o : outs) {
      auto it = after.find(o);
      if (it == after.end()) continue;
      for (auto& q : it->second) *nodes.Add() = std::move(q);
      after.erase(it);
    }
  }
  for (auto& kv : after)  // produced by nothing in this graph (e.g. an initializer): put up front
    for (auto& q : kv.second) *nodes.Add() = std::move(q);
  g->mutable_node()->Swap(&nodes);
  if (counts.int16_activations > 0) {
    bool imported = false;
    for (const auto& op : model->opset_import()) imported |= op.domain() == kContribDomain;
    if (!imported) {
      auto* op = model->add_opset_import();
      op->set_domain(kContribDomain);
      op->set_version(1);
    }
  }

  // Drop float originals nobody reads any more (unless a subgraph might read them by name).
  bool has_subgraphs = false;
  std::set<std::string> read;
  for (const auto& n : g->node()) {
    for (const auto& i : n.input()) read.insert(i);
    for (const auto& a : n.attribute()) has_subgraphs |= a.has_g() || a.graphs_size() > 0;
  }
  for (const auto& o : g->output()) read.insert(o.name());
  if (!has_subgraphs) {
    auto* ns = g->mutable_node();
    for (int i = ns->size() - 1; i >= 0; --i)
      if (ns->Get(i).op_type() == "Constant" && ns->Get(i).output_size() == 1 && replaced.count(ns->Get(i).output(0)) &&
          !read.count(ns->Get(i).output(0)))
        ns->DeleteSubrange(i, 1);
    auto* inits = g->mutable_initializer();
    for (int i = inits->size() - 1; i >= 0; --i)
      if (replaced.count(inits->Get(i).name()) && !read.count(inits->Get(i).name())) {
        const std::string name = inits->Get(i).name();
        inits->DeleteSubrange(i, 1);
        auto* ins = g->mutable_input();
        for (int k = ins->size() - 1; k >= 0; --k)
          if (ins->Get(k).name() == name) ins->DeleteSubrange(k, 1);
      }
  }
  return counts;
}

}  // namespace ez::quant
