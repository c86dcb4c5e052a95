// Layer analysis on a float model and a hand-made QDQ twin: activations quantized before each
// convolution, the second one so coarsely that it must come out as the most damaging layer.
#include <gtest/gtest.h>

#include "quant/layer_analysis.h"
#include "unit/graph_builder.h"

namespace ez {
namespace {

using test::float_tensor;
using test::random_tensor;

Tensor u8_scalar(uint8_t v) {
  Tensor t = Tensor::zeros(DType::kUInt8, {});
  t.data<uint8_t>()[0] = v;
  return t;
}

// x -> Conv c1 -> Relu r1 -> Conv c2; with `quantized`, x and r1 pass through Q/DQ (uint8) first.
Graph two_convs(bool quantized, float x_scale, float r_scale) {
  std::mt19937 rng(4);
  test::GraphBuilder b;
  ValueId x = b.input("x", {1, 4, 8, 8});
  Attributes pads;
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  auto qdq = [&](ValueId v, const std::string& name, float scale, uint8_t zp) {
    const ValueId s = b.constant(name + "_scale", float_tensor({scale}, Shape{}));
    const ValueId z = b.constant(name + "_zp", u8_scalar(zp));
    const ValueId q = b.node("QuantizeLinear", {v, s, z}, name + "_q");
    return b.node("DequantizeLinear", {q, s, z}, name + "_dq");
  };
  if (quantized) x = qdq(x, "x", x_scale, 128);
  ValueId c1 = b.node("Conv", {x, b.constant("w1", random_tensor({8, 4, 3, 3}, rng))}, "c1", pads);
  ValueId r1 = b.node("Relu", {c1}, "r1");
  if (quantized) r1 = qdq(r1, "r1", r_scale, 0);
  ValueId c2 = b.node("Conv", {r1, b.constant("w2", random_tensor({8, 8, 3, 3}, rng))}, "c2", pads);
  b.g.outputs() = {c2};
  return std::move(b.g);
}

TEST(QuantLayerAnalysis, FindsTheCoarselyQuantizedLayer) {
  SessionOptions o;
  o.num_threads = 1;
  auto a = quant::LayerAnalyzer::create(two_convs(false, 0, 0), two_convs(true, 2.0f / 255, 2.0f), o);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  std::mt19937 rng(8);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*a)->add_sample({random_tensor({1, 4, 8, 8}, rng)}).ok());
  EXPECT_EQ((*a)->samples(), 3);
  const auto r = (*a)->results();
  ASSERT_EQ(r.size(), 3u);  // c1, r1, c2 (Q/DQ nodes are not layers)
  EXPECT_EQ(r[0].tensor, "c2");  // the coarse r1 quantizer feeds c2
  std::map<std::string, quant::LayerError> by;
  for (const auto& e : r) {
    EXPECT_TRUE(e.has_isolated) << e.tensor;
    by[e.tensor] = e;
  }
  // c1 alone sees exactly what the whole quantized model gives it: both figures agree.
  EXPECT_NEAR(by["c1"].isolated_cosine, by["c1"].accumulated_cosine, 1e-12);
  EXPECT_GT(by["c1"].isolated_cosine, 0.999);  // a 2/255 step on inputs in [-1, 1]
  EXPECT_DOUBLE_EQ(by["r1"].isolated_cosine, 1.0);  // Relu alone on float input adds nothing
  EXPECT_LT(by["c2"].isolated_cosine, 0.98);          // a step of 2.0 on values of a few units
  EXPECT_GT(by["c2"].isolated_rel_error, by["c1"].isolated_rel_error);
  const auto outs = (*a)->output_errors();
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_NEAR(outs[0].second.cosine(), by["c2"].accumulated_cosine, 1e-12);
}

TEST(QuantLayerAnalysis, RejectsModelsWithoutCommonTensors) {
  test::GraphBuilder f, q;
  ValueId a = f.input("x", {1, 2});
  f.g.outputs() = {f.node("Relu", {a}, "y")};
  ValueId b = q.input("x", {1, 2});
  q.g.outputs() = {q.node("Relu", {b}, "z")};
  auto r = quant::LayerAnalyzer::create(std::move(f.g), std::move(q.g), SessionOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'y'"), std::string::npos) << r.status().to_string();
}

TEST(QuantLayerAnalysis, RejectsModelsThatDoNotBelongTogether) {
  // Same tensor names, different input shape: refused before any sample runs.
  test::GraphBuilder f, q;
  ValueId a = f.input("x", {1, 2});
  f.g.outputs() = {f.node("Relu", {a}, "y")};
  ValueId b = q.input("x", {1, 3});
  q.g.outputs() = {q.node("Relu", {b}, "y")};
  auto r = quant::LayerAnalyzer::create(std::move(f.g), std::move(q.g), SessionOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("do not match"), std::string::npos) << r.status().to_string();
  EXPECT_NE(r.status().message().find("'x'"), std::string::npos) << r.status().to_string();
}

TEST(QuantLayerAnalysis, FloatOnlyLayersAreExactWithoutARun) {
  // r1 reads c1's output directly (no quantizer between): isolated, it is the float computation.
  SessionOptions o;
  o.num_threads = 1;
  auto a = quant::LayerAnalyzer::create(two_convs(false, 0, 0), two_convs(true, 2.0f / 255, 0.05f), o);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  std::mt19937 rng(3);
  ASSERT_TRUE((*a)->add_sample({random_tensor({1, 4, 8, 8}, rng)}).ok());
  for (const auto& e : (*a)->results())
    if (e.tensor == "r1") {
      EXPECT_TRUE(e.has_isolated);
      EXPECT_EQ(e.isolated_cosine, 1.0);
      EXPECT_EQ(e.isolated_rel_error, 0.0);
      EXPECT_LT(e.accumulated_cosine, 1.0);  // but it inherits c1's error
    }
}

}  // namespace
}  // namespace ez
