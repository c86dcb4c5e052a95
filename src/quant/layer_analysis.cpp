#include "quant/layer_analysis.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "onnx/onnx_import.h"

namespace ez::quant {

void ErrorAccumulator::add(const Tensor& f, const Tensor& q) {
  const float* a = f.data<float>();
  const float* b = q.data<float>();
  const int64_t n = f.numel();
  // Every tensor of two models is compared per sample: this loop was a third of the analysis time
  // serial. Sums in double, so the order the threads add in does not matter at these sizes.
  double d = 0, aa = 0, bb = 0, e = 0;
#pragma omp parallel for simd reduction(+ : d, aa, bb, e) if (n > 32768) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    d += x * y;
    aa += x * x;
    bb += y * y;
    e += (x - y) * (x - y);
  }
  dot += d;
  ff += aa;
  qq += bb;
  diff2 += e;
}

void ErrorAccumulator::add(const ErrorAccumulator& o) {
  dot += o.dot;
  ff += o.ff;
  qq += o.qq;
  diff2 += o.diff2;
}

double ErrorAccumulator::cosine() const {
  if (ff == 0 && qq == 0) return 1.0;  // both all-zero: identical
  if (ff == 0 || qq == 0) return 0.0;
  return dot / std::sqrt(ff * qq);
}

double ErrorAccumulator::rel_error() const { return ff > 0 ? std::sqrt(diff2 / ff) : (diff2 > 0 ? INFINITY : 0.0); }

namespace {

bool is_qdq(const Node& n) { return n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear"; }

// Every node output becomes a graph output too, so a session keeps and returns it.
void expose_all_values(Graph& g) {
  std::set<ValueId> outs(g.outputs().begin(), g.outputs().end());
  for (const Node& n : g.nodes())
    for (ValueId o : n.outputs)
      if (o != kNoValue && outs.insert(o).second) g.outputs().push_back(o);
}

std::map<std::string, int> output_index(const Session& s) {
  std::map<std::string, int> m;
  for (size_t i = 0; i < s.outputs().size(); ++i) m[s.outputs()[i].name] = static_cast<int>(i);
  return m;
}

// A Mul by a constant read only by QuantizeLinear nodes: per-channel scales in front of a
// quantizer (edgezoo quantize's equalization), part of the quantizer as far as errors go.
bool is_prescale(const Graph& q, const Node& n, const std::map<ValueId, std::vector<int>>& readers) {
  if (n.op_type != "Mul" || n.inputs.size() != 2 || n.outputs.size() != 1) return false;
  const bool a = q.value(n.inputs[0]).is_constant(), b = q.value(n.inputs[1]).is_constant();
  if (a == b) return false;
  auto r = readers.find(n.outputs[0]);
  if (r == readers.end() || r->second.empty()) return false;
  for (int k : r->second)
    if (q.nodes()[k].op_type != "QuantizeLinear") return false;
  return true;
}

// Builds the graph of one quantized node together with the Q/DQ nodes feeding it (and the Mul
// scaling a quantizer's input), reading the float tensors those chains start from as graph
// inputs. False when an input cannot be traced.
// `*quantized` tells whether any Q/DQ node feeds it: without one the node alone computes exactly
// what the float model does.
bool isolate(const Graph& q, size_t node_index, const std::map<std::string, TensorDesc>& float_tensors, Graph* out,
             std::vector<std::string>* inputs, bool* quantized) {
  std::map<ValueId, int> producer;
  std::map<ValueId, std::vector<int>> readers;
  for (size_t n = 0; n < q.nodes().size(); ++n) {
    for (ValueId o : q.nodes()[n].outputs) producer[o] = static_cast<int>(n);
    for (ValueId i : q.nodes()[n].inputs)
      if (i != kNoValue) readers[i].push_back(static_cast<int>(n));
  }
  Graph g;
  g.opset = q.opset;
  std::map<ValueId, ValueId> mapped;  // value in q -> value in g
  std::vector<int> chain;             // nodes to copy, producers first
  bool ok = true;
  // Depth-first from the node's inputs through Q/DQ nodes down to float tensors or constants.
  std::function<void(ValueId)> visit = [&](ValueId v) {
    if (!ok || v == kNoValue || mapped.count(v)) return;
    const Value& val = q.value(v);
    Value copy;
    copy.name = val.name;
    if (val.is_constant()) {
      copy.constant = val.constant;
      copy.desc = val.constant.desc();
      mapped[v] = g.add_value(std::move(copy));
      return;
    }
    auto p = producer.find(v);
    const bool from_qdq =
        p != producer.end() && (is_qdq(q.nodes()[p->second]) || is_prescale(q, q.nodes()[p->second], readers));
    if (!from_qdq) {
      auto f = float_tensors.find(val.name);
      if (f == float_tensors.end()) {
        ok = false;
        return;
      }
      copy.desc = f->second;
      const ValueId id = g.add_value(std::move(copy));
      mapped[v] = id;
      g.inputs().push_back(id);
      inputs->push_back(val.name);
      return;
    }
    for (ValueId in : q.nodes()[p->second].inputs) visit(in);
    mapped[v] = g.add_value(std::move(copy));
    chain.push_back(p->second);
  };
  const Node& node = q.nodes()[node_index];
  for (ValueId in : node.inputs) visit(in);
  if (!ok || g.inputs().empty()) return false;
  *quantized = !chain.empty();
  chain.push_back(static_cast<int>(node_index));
  for (ValueId o : node.outputs) {
    Value v;
    v.name = q.value(o).name;
    mapped[o] = g.add_value(std::move(v));
  }
  for (int n : chain) {
    Node copy = q.nodes()[n];
    for (ValueId& in : copy.inputs)
      if (in != kNoValue) in = mapped.at(in);
    for (ValueId& o : copy.outputs) {
      if (!mapped.count(o)) {  // an unused extra output of a chain node
        Value v;
        v.name = q.value(o).name;
        mapped[o] = g.add_value(std::move(v));
      }
      o = mapped.at(o);
    }
    g.nodes().push_back(std::move(copy));
  }
  g.outputs().push_back(mapped.at(node.outputs[0]));
  *out = std::move(g);
  return true;
}

}  // namespace

Result<std::unique_ptr<LayerAnalyzer>> LayerAnalyzer::create(Graph float_model, Graph quant_model, SessionOptions options) {
  std::unique_ptr<LayerAnalyzer> a(new LayerAnalyzer());
  EZ_RETURN_IF_ERROR(a->build(std::move(float_model), std::move(quant_model), options));
  return a;
}

Result<std::unique_ptr<LayerAnalyzer>> LayerAnalyzer::create(const std::string& float_path, const std::string& quant_path,
                                                             SessionOptions options) {
  auto f = import_onnx_file(float_path);
  if (!f.ok()) return f.status().with_context("float model");
  auto q = import_onnx_file(quant_path);
  if (!q.ok()) return q.status().with_context("quantized model");
  return create(std::move(*f), std::move(*q), std::move(options));
}

Status LayerAnalyzer::build(Graph float_model, Graph quant_model, const SessionOptions& base) {
  SessionOptions options = base;
  options.optimize = false;  // keep every intermediate tensor
  for (ValueId o : float_model.outputs()) model_outputs_.push_back(float_model.value(o).name);
  const Graph quant_graph = quant_model;  // the untouched graph, for isolating layers
  expose_all_values(float_model);
  expose_all_values(quant_model);
  auto f = Session::from_graph(std::move(float_model), options);
  if (!f.ok()) return f.status().with_context("float model");
  auto q = Session::from_graph(std::move(quant_model), options);
  if (!q.ok()) return q.status().with_context("quantized model");
  float_ = std::move(*f);
  quant_ = std::move(*q);
  float_index_ = output_index(*float_);
  quant_index_ = output_index(*quant_);
  std::map<std::string, TensorDesc> float_tensors;
  for (const IOInfo& o : float_->outputs())
    if (o.desc.dtype == DType::kFloat32 && shape_is_static(o.desc.shape)) float_tensors[o.name] = o.desc;
  for (const IOInfo& i : float_->inputs()) float_tensors[i.name] = i.desc;
  // Models that do not belong together fail here, before any sample is run.
  const auto& fin = float_->inputs();
  const auto& qin = quant_->inputs();
  for (size_t i = 0; i < std::max(fin.size(), qin.size()); ++i) {
    if (i >= fin.size() || i >= qin.size() || fin[i].name != qin[i].name || fin[i].desc.dtype != qin[i].desc.dtype ||
        fin[i].desc.shape != qin[i].desc.shape)
      return invalid_argument("the models do not match: input " + std::to_string(i) + " is " +
                              (i < fin.size() ? "'" + fin[i].name + "' " + fin[i].desc.to_string() : "absent") +
                              " in the float model, " +
                              (i < qin.size() ? "'" + qin[i].name + "' " + qin[i].desc.to_string() : "absent") +
                              " in the quantized one");
  }
  for (const std::string& name : model_outputs_) {
    if (!quant_index_.count(name) || !float_tensors.count(name))
      return invalid_argument("the quantized model has no float output '" + name + "' like the float model");
    const TensorDesc& qd = quant_->outputs()[quant_index_.at(name)].desc;
    if (qd.dtype != DType::kFloat32 || qd.shape != float_tensors.at(name).shape)
      return invalid_argument("the models do not match: output '" + name + "' is " + float_tensors.at(name).to_string() +
                              " in the float model, " + qd.to_string() + " in the quantized one");
  }
  output_acc_.assign(model_outputs_.size(), ErrorAccumulator());

  for (size_t n = 0; n < quant_graph.nodes().size(); ++n) {
    const Node& node = quant_graph.nodes()[n];
    if (is_qdq(node) || node.outputs.empty() || node.outputs[0] == kNoValue) continue;
    const std::string& tensor = quant_graph.value(node.outputs[0]).name;
    auto fd = float_tensors.find(tensor);
    auto qi = quant_index_.find(tensor);
    if (fd == float_tensors.end() || qi == quant_index_.end()) continue;
    const TensorDesc& qd = quant_->outputs()[qi->second].desc;
    if (qd.dtype != DType::kFloat32 || qd.shape != fd->second.shape) continue;
    Layer layer;
    layer.info.tensor = tensor;
    layer.info.node = node.name;
    layer.info.op = node.op_type;
    Graph alone;
    bool quantized = false;
    if (isolate(quant_graph, n, float_tensors, &alone, &layer.float_inputs, &quantized)) {
      if (!quantized) {
        // A float op on float inputs adds no error by itself: isolated figures exact (cosine 1,
        // error 0) without a run. Most nodes of a QDQ model are like this.
        layer.info.has_isolated = true;
      } else {
        SessionOptions o = options;
        o.input_shapes.clear();
        auto s = Session::from_graph(std::move(alone), o);
        if (s.ok()) {
          layer.isolated = std::move(*s);
          layer.info.has_isolated = true;
        }
      }
    }
    layers_.push_back(std::move(layer));
  }
  if (layers_.empty()) return invalid_argument("no layer of the quantized model has an output tensor named as in the float model");
  return Status::OK();
}

Status LayerAnalyzer::add_sample(const std::vector<Tensor>& inputs) {
  for (Session* s : {float_.get(), quant_.get()}) {
    if (inputs.size() != s->inputs().size())
      return invalid_argument("a sample has " + std::to_string(inputs.size()) + " inputs, the model takes " +
                              std::to_string(s->inputs().size()));
    for (size_t i = 0; i < inputs.size(); ++i) EZ_RETURN_IF_ERROR(s->set_input(static_cast<int>(i), inputs[i]));
    EZ_RETURN_IF_ERROR(s->run());
  }
  auto float_value = [&](const std::string& name) -> const Tensor* {
    auto it = float_index_.find(name);
    if (it != float_index_.end()) return &float_->output(it->second);
    const int in = float_->input_index(name);
    return in >= 0 ? &inputs[in] : nullptr;
  };
  for (Layer& l : layers_) {
    const Tensor* f = float_value(l.info.tensor);
    l.accumulated.add(*f, quant_->output(quant_index_.at(l.info.tensor)));
    if (!l.isolated) continue;
    for (size_t i = 0; i < l.float_inputs.size(); ++i) {
      const Tensor* v = float_value(l.float_inputs[i]);
      if (!v) return invalid_argument("float tensor '" + l.float_inputs[i] + "' missing");
      EZ_RETURN_IF_ERROR(l.isolated->set_input(static_cast<int>(i), *v));
    }
    EZ_RETURN_IF_ERROR(l.isolated->run().with_context("layer '" + l.info.node + "' alone"));
    l.alone.add(*f, l.isolated->output(0));
  }
  for (size_t o = 0; o < model_outputs_.size(); ++o)
    output_acc_[o].add(float_->output(float_index_.at(model_outputs_[o])), quant_->output(quant_index_.at(model_outputs_[o])));
  ++samples_;
  return Status::OK();
}

std::vector<LayerError> LayerAnalyzer::results() const {
  std::vector<LayerError> r;
  for (const Layer& l : layers_) {
    LayerError e = l.info;
    e.accumulated_cosine = l.accumulated.cosine();
    e.accumulated_rel_error = l.accumulated.rel_error();
    if (e.has_isolated) {
      e.isolated_cosine = l.alone.cosine();
      e.isolated_rel_error = l.alone.rel_error();
    }
    r.push_back(e);
  }
  std::stable_sort(r.begin(), r.end(), [](const LayerError& a, const LayerError& b) {
    if (a.isolated_cosine != b.isolated_cosine) return a.isolated_cosine < b.isolated_cosine;
    return a.accumulated_cosine < b.accumulated_cosine;
  });
  return r;
}

std::vector<std::pair<std::string, ErrorAccumulator>> LayerAnalyzer::output_errors() const {
  std::vector<std::pair<std::string, ErrorAccumulator>> r;
  for (size_t o = 0; o < model_outputs_.size(); ++o) r.emplace_back(model_outputs_[o], output_acc_[o]);
  return r;
}

}  // namespace ez::quant
