// Graph passes on hand-built graphs: each pattern must disappear from the optimised graph and the
// outputs must equal the reference kernels on the untouched graph. Tolerance 1e-5 x max|ref|:
// folding rescales weights in double and rounds once to float, and only summation orders differ.
#include <gtest/gtest.h>

#include <map>

#include "unit/graph_builder.h"

namespace ez {
namespace {

using test::float_tensor;
using test::random_tensor;

Attributes attrs_ints(const std::string& name, std::vector<int64_t> v) {
  Attributes a;
  a.set(name, Attribute::of_ints(std::move(v)));
  return a;
}

std::map<std::string, int> op_counts(const Graph& g) {
  std::map<std::string, int> c;
  for (const Node& n : g.nodes()) c[n.op_type]++;
  return c;
}

// Conv -> BN -> Mul(per-channel) -> Add(scalar) -> HardSwish written out -> Mul(scalar) ->
// Add(scalar) -> ConvTranspose -> Add(bias) -> BN: the PP-OCRv4 (PP-LCNetV3) patterns.
Graph affine_graph() {
  std::mt19937 rng(31);
  test::GraphBuilder b;
  const ValueId x = b.input("x", {1, 4, 6, 5});
  Attributes pads = attrs_ints("pads", {1, 1, 1, 1});
  ValueId y = b.node("Conv", {x, b.constant("w", random_tensor({8, 4, 3, 3}, rng))}, "conv", pads);
  auto bn = [&](ValueId in, int64_t c, const std::string& name) {
    return b.node("BatchNormalization",
                  {in, b.constant(name + "g", random_tensor({c}, rng, 0.5f, 1.5f)), b.constant(name + "b", random_tensor({c}, rng)),
                   b.constant(name + "m", random_tensor({c}, rng)), b.constant(name + "v", random_tensor({c}, rng, 0.5f, 2.0f))},
                  name);
  };
  y = bn(y, 8, "bn1");
  y = b.node("Mul", {b.constant("scale", random_tensor({1, 8, 1, 1}, rng)), y}, "mul");
  y = b.node("Add", {y, b.constant("shift", float_tensor({0.25f}))}, "add");
  // HardSwish as exported by Paddle2ONNX.
  const ValueId plus3 = b.node("Add", {y, b.constant("three", float_tensor({3.0f}, Shape{}))}, "plus3");
  const ValueId clip = b.node("Clip", {plus3, b.constant("zero", float_tensor({0.0f}, Shape{})),
                                       b.constant("six", float_tensor({6.0f}, Shape{}))}, "clip");
  const ValueId prod = b.node("Mul", {y, clip}, "prod");
  y = b.node("Div", {prod, b.constant("six2", float_tensor({6.0f}, Shape{}))}, "hswish");
  // The learnable affine block after the activation.
  y = b.node("Mul", {y, b.constant("lab_scale", float_tensor({0.8f}))}, "lab_mul");
  y = b.node("Add", {b.constant("lab_shift", float_tensor({-0.1f})), y}, "lab_add");
  Attributes up = attrs_ints("kernel_shape", {2, 2});
  up.set("strides", Attribute::of_ints({2, 2}));
  y = b.node("ConvTranspose", {y, b.constant("wt", random_tensor({8, 3, 2, 2}, rng))}, "deconv", up);
  y = b.node("Add", {y, b.constant("deconv_bias", random_tensor({3, 1, 1}, rng))}, "deconv_add");
  y = bn(y, 3, "bn2");
  b.g.outputs() = {y};
  return std::move(b.g);
}

TEST(Passes, AffineChainsHardSwishAndBatchNormFoldIntoConvolutions) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SessionOptions o;
    o.kernels = kernels;
    auto optimized = Session::from_graph(affine_graph(), o);
    ASSERT_TRUE(optimized.ok()) << optimized.status().to_string();
    auto ops = op_counts((*optimized)->graph());
    // Everything between the two convolutions is gone: only layout transposes may remain.
    EXPECT_EQ(ops["FusedConv"], 1);
    EXPECT_EQ(ops["ConvTranspose"], 1);
    for (const char* gone : {"BatchNormalization", "Mul", "Add", "Div", "Clip", "HardSwish"}) EXPECT_EQ(ops[gone], 0) << gone;
    for (const Node& n : (*optimized)->graph().nodes())
      if (n.op_type == "FusedConv") {
        EXPECT_EQ(n.attrs.get_string("activation", ""), "HardSwish");
        EXPECT_FLOAT_EQ(n.attrs.get_float("output_scale", 1), 0.8f);
        EXPECT_FLOAT_EQ(n.attrs.get_float("output_shift", 0), -0.1f);
      }
    auto plain = Session::from_graph(affine_graph(), test::reference_options());
    ASSERT_TRUE(plain.ok());
    std::mt19937 rng(3);
    test::expect_same_outputs(**optimized, **plain, {random_tensor({1, 4, 6, 5}, rng, -3, 3)}, 1e-5);
  }
}

// A value read twice must not be folded away: Conv -> Mul is also a graph output.
TEST(Passes, SharedIntermediateValuesAreNotFolded) {
  std::mt19937 rng(2);
  auto build = [&] {
    std::mt19937 r(2);
    test::GraphBuilder b;
    const ValueId x = b.input("x", {1, 2, 4, 4});
    const ValueId c = b.node("Conv", {x, b.constant("w", random_tensor({3, 2, 1, 1}, r))}, "conv");
    const ValueId m = b.node("Mul", {c, b.constant("s", float_tensor({2.0f}))}, "mul");
    b.g.outputs() = {m, c};
    return std::move(b.g);
  };
  auto optimized = Session::from_graph(build());
  auto plain = Session::from_graph(build(), test::reference_options());
  ASSERT_TRUE(optimized.ok() && plain.ok());
  EXPECT_EQ(op_counts((*optimized)->graph())["Mul"], 1);
  test::expect_same_outputs(**optimized, **plain, {random_tensor({1, 2, 4, 4}, rng)}, 1e-6);
}

// Regression: a graph output that a Shape node also reads (its shape folded at planning) must
// still get a buffer of its own (it was left with a data-less stand-in and crashed the run).
TEST(Passes, GraphOutputReadByShapeGetsItsOwnBuffer) {
  auto build = [] {
    test::GraphBuilder b;
    const ValueId x = b.input("x", {2, 3});
    const ValueId r = b.node("Relu", {x}, "r");
    const ValueId s = b.node("Shape", {r}, "s");
    const ValueId y = b.node("Reshape", {x, s}, "y");
    b.g.outputs() = {y, r};
    return std::move(b.g);
  };
  for (bool optimize : {false, true}) {
    SessionOptions o;
    o.optimize = optimize;
    auto session = Session::from_graph(build(), o);
    ASSERT_TRUE(session.ok()) << session.status().to_string();
    const Tensor x = float_tensor({-1, 2, -3, 4, -5, 6}, {2, 3});
    auto out = (*session)->run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ASSERT_EQ((*out)[1].numel(), 6);
    for (int i = 0; i < 6; ++i) EXPECT_EQ((*out)[1].data<float>()[i], std::max(0.0f, x.data<float>()[i])) << optimize;
  }
}

}  // namespace
}  // namespace ez
