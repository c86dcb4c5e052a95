// Builds small graphs in tests: values (constants inline) and nodes in order, then compares a
// session with every pass and fast kernel against the reference kernels on the untouched graph.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "runtime/session.h"

namespace ez::test {

inline Tensor random_tensor(Shape s, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(s));
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

inline Tensor int64_tensor(std::vector<int64_t> v) {
  Tensor t = Tensor::zeros(DType::kInt64, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

inline Tensor float_tensor(std::vector<float> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  Tensor t = Tensor::zeros(DType::kFloat32, shape);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

struct GraphBuilder {
  Graph g;
  GraphBuilder() { g.opset = 17; }
  ValueId input(const std::string& name, Shape shape) {
    const ValueId id = value(name);
    g.value(id).desc = {DType::kFloat32, std::move(shape)};
    g.inputs().push_back(id);
    return id;
  }
  ValueId value(const std::string& name, Tensor constant = Tensor()) {
    Value v;
    v.name = name;
    if (!constant.empty()) v.desc = constant.desc();
    v.constant = std::move(constant);
    return g.add_value(std::move(v));
  }
  ValueId constant(const std::string& name, Tensor t) { return value(name, std::move(t)); }
  // Adds a node with one new output value named `out`, returns it.
  ValueId node(const std::string& op, std::vector<ValueId> in, const std::string& out, Attributes attrs = {}) {
    const ValueId o = value(out);
    node_multi(op, std::move(in), {o}, std::move(attrs));
    return o;
  }
  void node_multi(const std::string& op, std::vector<ValueId> in, std::vector<ValueId> out, Attributes attrs = {}) {
    Node n;
    n.name = op + std::to_string(g.nodes().size());
    n.op_type = op;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.attrs = std::move(attrs);
    g.nodes().push_back(std::move(n));
  }
};

// Max |a - b| <= rel * max|b| over every output of the two sessions on the same inputs.
inline void expect_same_outputs(Session& optimized, Session& reference, const std::vector<Tensor>& inputs, double rel) {
  auto a = optimized.run(inputs);
  auto b = reference.run(inputs);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  ASSERT_EQ(a->size(), b->size());
  for (size_t o = 0; o < a->size(); ++o) {
    const Tensor& r = (*b)[o];
    const Tensor& f = (*a)[o];
    ASSERT_EQ(r.shape(), f.shape()) << "output " << o;
    double max_ref = 0, max_diff = 0;
    for (int64_t i = 0; i < r.numel(); ++i) {
      max_ref = std::max(max_ref, std::fabs(double(r.data<float>()[i])));
      max_diff = std::max(max_diff, std::fabs(double(r.data<float>()[i]) - f.data<float>()[i]));
    }
    EXPECT_LE(max_diff, rel * max_ref) << "output " << o << ": max diff " << max_diff << " of max " << max_ref;
  }
}

inline SessionOptions reference_options() {
  SessionOptions o;
  o.kernels = ops::KernelChoice::kReference;
  o.optimize = false;
  return o;
}

}  // namespace ez::test
