#include "passes/pass_util.h"

#include <algorithm>

namespace ez {

std::vector<std::vector<int>> value_readers(const Graph& g) {
  std::vector<std::vector<int>> r(g.num_values());
  for (size_t n = 0; n < g.nodes().size(); ++n)
    for (ValueId in : g.nodes()[n].inputs)
      if (in != kNoValue) r[in].push_back(static_cast<int>(n));
  return r;
}

std::vector<int> value_producers(const Graph& g) {
  std::vector<int> p(g.num_values(), -1);
  for (size_t n = 0; n < g.nodes().size(); ++n)
    for (ValueId o : g.nodes()[n].outputs)
      if (o != kNoValue) p[o] = static_cast<int>(n);
  return p;
}

bool is_graph_output(const Graph& g, ValueId v) {
  return std::find(g.outputs().begin(), g.outputs().end(), v) != g.outputs().end();
}

int sole_reader(const Graph& g, const std::vector<std::vector<int>>& readers, ValueId v) {
  if (is_graph_output(g, v) || readers[v].size() != 1) return -1;
  return readers[v][0];
}

ValueId other_operand(const Node& n, ValueId x) {
  if (n.inputs.size() != 2) return kNoValue;
  if (n.inputs[0] == x) return n.inputs[1];
  if (n.inputs[1] == x) return n.inputs[0];
  return kNoValue;
}

int silu_mul(const Graph& g, const std::vector<std::vector<int>>& readers, int sig) {
  const Node& s = g.nodes()[sig];
  if (s.op_type != "Sigmoid" || !s.domain.empty() || s.inputs.size() != 1 || s.outputs.size() != 1) return -1;
  const int m = sole_reader(g, readers, s.outputs[0]);
  if (m < 0) return -1;
  const Node& mul = g.nodes()[m];
  if (mul.op_type != "Mul" || !mul.domain.empty() || other_operand(mul, s.outputs[0]) != s.inputs[0]) return -1;
  return m;
}

void erase_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  for (size_t n = 0; n < g.nodes().size(); ++n)
    if (!dead[n]) kept.push_back(std::move(g.nodes()[n]));
  g.nodes() = std::move(kept);
}

int64_t conv_output_channels(const Node& conv, const Tensor& w) {
  if (conv.op_type == "ConvTranspose") return w.dim(1) * conv.attrs.get_int("group", 1);
  return w.dim(0);
}

void scale_conv_output_channels(const Node& conv, Tensor& w, const std::vector<double>& scale) {
  float* d = w.data<float>();
  if (conv.op_type == "ConvTranspose") {
    // [C, M/g, k...]: input channel c belongs to group c / (C/g); its row j is output g*(M/g)+j.
    const int64_t group = conv.attrs.get_int("group", 1), C = w.dim(0), Mg = w.dim(1);
    const int64_t k = w.numel() / (C * Mg);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = 0; j < Mg; ++j) {
        const double s = scale[(c / (C / group)) * Mg + j];
        for (int64_t i = 0; i < k; ++i) d[(c * Mg + j) * k + i] = static_cast<float>(d[(c * Mg + j) * k + i] * s);
      }
    return;
  }
  const int64_t M = w.dim(0), per = w.numel() / M;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t i = 0; i < per; ++i) d[m * per + i] = static_cast<float>(d[m * per + i] * scale[m]);
}

Tensor& writable_constant(Graph& g, ValueId* id, int readers_of_v) {
  Value& v = g.value(*id);
  if (readers_of_v == 1 && !is_graph_output(g, *id) && v.constant.sole_owner()) return v.constant;
  *id = add_constant_value(g, v.name + "/folded", g.value(*id).constant.clone());
  return g.value(*id).constant;
}

bool per_channel_values(const Tensor& c, size_t out_rank, int64_t M, std::vector<double>* values) {
  if (c.dtype() != DType::kFloat32 || c.shape().size() > out_rank || out_rank < 2) return false;
  const size_t lead = out_rank - c.shape().size();  // dims c lacks on the left
  for (size_t d = 0; d < c.shape().size(); ++d) {
    const size_t od = d + lead;
    if (c.shape()[d] != 1 && !(od == 1 && c.shape()[d] == M)) return false;
  }
  values->resize(M);
  for (int64_t m = 0; m < M; ++m) (*values)[m] = c.at_double(c.numel() == 1 ? 0 : m);
  return true;
}

const Tensor* constant_of(const Graph& g, ValueId v) {
  if (v == kNoValue) return nullptr;
  const Value& val = g.value(v);
  return val.is_constant() ? &val.constant : nullptr;
}

ValueId add_constant_value(Graph& g, const std::string& base, Tensor t) {
  Value v;
  v.name = base;
  for (int k = 1; g.find_value(v.name) != kNoValue; ++k) v.name = base + "_" + std::to_string(k);
  v.desc = t.desc();
  v.constant = std::move(t);
  return g.add_value(std::move(v));
}

}  // namespace ez
