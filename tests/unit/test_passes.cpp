// Graph passes on hand-built graphs: each pattern must disappear from the optimised graph and the
// outputs must equal the reference kernels on the untouched graph. Tolerance 1e-5 x max|ref|:
// folding rescales weights in double and rounds once to float, and only summation orders differ.
#include <gtest/gtest.h>

#include <map>

#include "passes/passes.h"
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

// The Focus stem: Concat of strided Slices of the input becomes one SpaceToDepthBlocks node, as
// YOLOX writes it (two chained Slices per block, blocks in column-major order) and as one Slice
// over H and W per block; with a convolution after it (NHWC, the gather reading the NCHW input)
// and as a graph output (NCHW). Not fused (the pass only takes what it can prove): a Slice that
// names the channel axis too, an end short of the edge, a Concat with an unrelated input.
Graph focus_graph(bool chained, bool with_conv, int variant = 0) {
  std::mt19937 r(5);
  test::GraphBuilder b;
  const ValueId x = b.input("x", {1, 3, 8, 12});
  const int64_t kEnd = INT64_MAX;
  auto slice = [&](ValueId in, std::vector<int64_t> starts, std::vector<int64_t> axes, std::vector<int64_t> steps,
                   std::vector<int64_t> ends, const std::string& name) {
    return b.node("Slice", {in, b.constant(name + "_s", test::int64_tensor(starts)), b.constant(name + "_e", test::int64_tensor(ends)),
                            b.constant(name + "_a", test::int64_tensor(axes)), b.constant(name + "_t", test::int64_tensor(steps))},
                  name);
  };
  std::vector<ValueId> parts;
  const int64_t offsets[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
  for (int k = 0; k < 4; ++k) {
    const std::string n = "p" + std::to_string(k);
    const int64_t end_h = variant == 2 && k == 0 ? 7 : kEnd;  // the same rows, but not "to the end"
    if (chained) {
      const ValueId rows = slice(x, {offsets[k][0]}, {2}, {2}, {end_h}, n + "h");
      parts.push_back(slice(rows, {offsets[k][1]}, {3}, {2}, {kEnd}, n + "w"));
    } else if (variant == 1 && k == 0) {  // also "slices" the channels (all of them)
      parts.push_back(slice(x, {0, 0, 0}, {1, 2, 3}, {1, 2, 2}, {3, kEnd, kEnd}, n));
    } else {
      parts.push_back(slice(x, {offsets[k][0], offsets[k][1]}, {2, 3}, {2, 2}, {end_h, kEnd}, n));
    }
  }
  if (variant == 3) parts.push_back(b.input("other", {1, 3, 4, 6}));
  Attributes axis;
  axis.set("axis", Attribute::of_int(1));
  ValueId y = b.node("Concat", parts, "focus", axis);
  if (with_conv) y = b.node("Conv", {y, b.constant("w", random_tensor({8, variant == 3 ? 15 : 12, 3, 3}, r)), b.constant("b", random_tensor({8}, r))}, "conv",
                            attrs_ints("pads", {1, 1, 1, 1}));
  b.g.outputs() = {y};
  return std::move(b.g);
}

TEST(Passes, FocusSlicesAndConcatBecomeOneGather) {
  std::mt19937 rng(9);
  const Tensor x = random_tensor({1, 3, 8, 12}, rng);
  for (bool chained : {true, false})
    for (bool with_conv : {true, false}) {
      SCOPED_TRACE(std::string(chained ? "chained slices" : "one slice per block") + (with_conv ? ", conv after" : ", graph output"));
      auto optimized = Session::from_graph(focus_graph(chained, with_conv));
      auto plain = Session::from_graph(focus_graph(chained, with_conv), test::reference_options());
      ASSERT_TRUE(optimized.ok() && plain.ok()) << optimized.status().to_string();
      auto ops = op_counts((*optimized)->graph());
      EXPECT_EQ(ops["SpaceToDepthBlocks"], 1);
      EXPECT_EQ(ops["Slice"], 0);
      EXPECT_EQ(ops["Concat"], 0);
      if (with_conv) {  // the gather reads NCHW x and writes the conv's NHWC input (the one Transpose left is the output's)
        const Graph& g = (*optimized)->graph();
        for (const Node& n : g.nodes()) {
          if (n.op_type == "Transpose") {
            EXPECT_NE(g.value(n.inputs[0]).name, "x") << "x is transposed before the gather";
          }
        }
      }
      // Pure data movement: equal bit for bit without the conv.
      test::expect_same_outputs(**optimized, **plain, {x}, with_conv ? 1e-5 : 0.0);
      // The reference kernels run the fused node too (NCHW).
      SessionOptions ref;
      ref.kernels = ops::KernelChoice::kReference;
      auto fused_ref = Session::from_graph(focus_graph(chained, with_conv), ref);
      ASSERT_TRUE(fused_ref.ok()) << fused_ref.status().to_string();
      EXPECT_EQ(op_counts((*fused_ref)->graph())["SpaceToDepthBlocks"], 1);
      test::expect_same_outputs(**fused_ref, **plain, {x}, with_conv ? 1e-5 : 0.0);
    }
}

TEST(Passes, SlicesThatAreNotABlockGatherStayAsTheyAre) {
  std::mt19937 rng(10);
  for (int variant : {1, 2, 3}) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    auto optimized = Session::from_graph(focus_graph(false, true, variant));
    auto plain = Session::from_graph(focus_graph(false, true, variant), test::reference_options());
    ASSERT_TRUE(optimized.ok() && plain.ok()) << optimized.status().to_string();
    EXPECT_EQ(op_counts((*optimized)->graph())["SpaceToDepthBlocks"], 0);
    std::vector<Tensor> in = {random_tensor({1, 3, 8, 12}, rng)};
    if (variant == 3) in.push_back(random_tensor({1, 3, 4, 6}, rng));
    test::expect_same_outputs(**optimized, **plain, in, 1e-5);
  }
}

// SPP: three stride-1 "same" max pools of one tensor (5, 9, 13) become a chain of 5x5 pools, each
// reading the previous one, with the same outputs bit for bit (max ignores the padding, so the
// borders are exact too; 11x7 keeps the windows wider than the input). Left alone: pools of equal
// windows, a strided pool, and windows that do not nest (3x7 and 7x3).
Graph spp_graph(int variant) {
  test::GraphBuilder b;
  const ValueId x = b.input("x", {1, 4, 11, 7});
  auto pool = [&](int64_t kh, int64_t kw, int64_t stride, const std::string& name) {
    Attributes a;
    a.set("kernel_shape", Attribute::of_ints({kh, kw}));
    a.set("pads", Attribute::of_ints({kh / 2, kw / 2, kh / 2, kw / 2}));
    a.set("strides", Attribute::of_ints({stride, stride}));
    return b.node("MaxPool", {x}, name, a);
  };
  if (variant == 0) b.g.outputs() = {pool(13, 13, 1, "p13"), pool(5, 5, 1, "p5"), pool(9, 9, 1, "p9")};
  if (variant == 1) b.g.outputs() = {pool(5, 5, 1, "a"), pool(5, 5, 1, "b"), pool(9, 9, 2, "strided")};
  if (variant == 2) b.g.outputs() = {pool(3, 7, 1, "tall"), pool(7, 3, 1, "wide")};
  return std::move(b.g);
}

TEST(Passes, SppPoolsBecomeAChainOfTheSmallestWindow) {
  std::mt19937 rng(12);
  const Tensor x = random_tensor({1, 4, 11, 7}, rng);
  for (int variant : {0, 1, 2}) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    Graph g = spp_graph(variant);
    ASSERT_TRUE(cascade_max_pools(g).ok());
    const ValueId in = g.find_value("x");
    int reading_x = 0, pools = 0;
    for (const Node& n : g.nodes()) {
      if (n.op_type != "MaxPool") continue;
      ++pools;
      reading_x += n.inputs[0] == in;
      if (variant == 0) {
        EXPECT_EQ(n.attrs.get_ints("kernel_shape"), std::vector<int64_t>({5, 5})) << n.name;
      }
    }
    EXPECT_EQ(reading_x, variant == 0 ? 1 : pools);
    auto optimized = Session::from_graph(spp_graph(variant));
    auto plain = Session::from_graph(spp_graph(variant), test::reference_options());
    ASSERT_TRUE(optimized.ok() && plain.ok()) << optimized.status().to_string();
    test::expect_same_outputs(**optimized, **plain, {x}, 0.0);
    SessionOptions ref;  // the rewritten graph on the reference kernels too
    ref.kernels = ops::KernelChoice::kReference;
    auto cascaded_ref = Session::from_graph(spp_graph(variant), ref);
    ASSERT_TRUE(cascaded_ref.ok());
    test::expect_same_outputs(**cascaded_ref, **plain, {x}, 0.0);
  }
}

// SiLU written out after something other than a convolution (ONNX Runtime's dynamically
// quantized models: the float bias Add after each ConvInteger) becomes one Silu node, in either
// operand order; a Sigmoid read by another node as well stays as it is.
TEST(Passes, SiluWrittenOutBecomesOneNode) {
  auto build = [](bool swapped, bool sigmoid_read_elsewhere) {
    test::GraphBuilder b;
    const ValueId x = b.input("x", {2, 6, 5, 7});
    const ValueId v = b.node("Add", {x, b.constant("bias", float_tensor({0.1f, -0.2f, 0.3f, 0.0f, 1.0f, -1.0f}, {1, 6, 1, 1}))}, "bias_add");
    const ValueId s = b.node("Sigmoid", {v}, "sig");
    const ValueId y = swapped ? b.node("Mul", {s, v}, "mul") : b.node("Mul", {v, s}, "mul");
    b.g.outputs() = {y};
    if (sigmoid_read_elsewhere) b.g.outputs().push_back(s);
    return std::move(b.g);
  };
  std::mt19937 rng(12);
  for (bool swapped : {false, true})
    for (bool elsewhere : {false, true}) {
      SCOPED_TRACE(std::string(swapped ? "Mul(s, x)" : "Mul(x, s)") + (elsewhere ? ", sigmoid also an output" : ""));
      auto optimized = Session::from_graph(build(swapped, elsewhere));
      auto plain = Session::from_graph(build(swapped, elsewhere), test::reference_options());
      ASSERT_TRUE(optimized.ok() && plain.ok()) << optimized.status().to_string();
      auto ops = op_counts((*optimized)->graph());
      EXPECT_EQ(ops["Silu"], elsewhere ? 0 : 1);
      EXPECT_EQ(ops["Sigmoid"], elsewhere ? 1 : 0);
      // oneDNN's swish against std::exp: float rounding of the exponential only.
      test::expect_same_outputs(**optimized, **plain, {random_tensor({2, 6, 5, 7}, rng)}, 1e-5);
      // The reference kernels run the Silu node as Sigmoid then Mul compute it: bit for bit.
      SessionOptions ref;
      ref.kernels = ops::KernelChoice::kReference;
      auto fused_ref = Session::from_graph(build(swapped, elsewhere), ref);
      ASSERT_TRUE(fused_ref.ok());
      EXPECT_EQ(op_counts((*fused_ref)->graph())["Silu"], elsewhere ? 0 : 1);
      test::expect_same_outputs(**fused_ref, **plain, {random_tensor({2, 6, 5, 7}, rng)}, 0.0);
    }
}

// ONNX Runtime's dynamic quantization: DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul by
// x_scale * w_scale -> Add(bias): the Cast, Mul and Add go into the ConvInteger, whose result is
// then bit for bit the same (the same float operations); without the Add too; a Cast read by
// another node as well stays.
TEST(Passes, ConvIntegerTakesInItsFloatScaleAndBias) {
  auto build = [](bool with_add, bool cast_read_elsewhere) {
    std::mt19937 r(3);
    test::GraphBuilder b;
    const ValueId x = b.input("x", {1, 4, 9, 8});
    const ValueId xq = b.value("xq"), xs = b.value("xs"), xz = b.value("xz");
    b.node_multi("DynamicQuantizeLinear", {x}, {xq, xs, xz});
    Tensor w = Tensor::zeros(DType::kUInt8, {6, 4, 3, 3});
    std::uniform_int_distribution<int> u(0, 255);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<uint8_t>()[i] = static_cast<uint8_t>(u(r));
    Tensor wz = Tensor::zeros(DType::kUInt8, {});
    wz.data<uint8_t>()[0] = 119;  // uint8 weights with their own zero point: the window-sum correction
    const ValueId acc = b.node("ConvInteger", {xq, b.constant("w", w), xz, b.constant("wz", wz)}, "conv",
                               attrs_ints("pads", {1, 1, 1, 1}));
    Attributes to;
    to.set("to", Attribute::of_int(1));
    const ValueId f = b.node("Cast", {acc}, "cast", to);
    const ValueId s = b.node("Mul", {xs, b.constant("ws", float_tensor({0.0125f}, {}))}, "scales");
    ValueId y = b.node("Mul", {f, s}, "scaled");
    if (with_add) y = b.node("Add", {y, b.constant("bias", float_tensor({0.5f, -1, 0.25f, 2, 0, -0.75f}, {1, 6, 1, 1}))}, "bias_add");
    b.g.outputs() = {y};
    if (cast_read_elsewhere) b.g.outputs().push_back(f);
    return std::move(b.g);
  };
  std::mt19937 rng(13);
  for (bool with_add : {true, false})
    for (bool elsewhere : {false, true}) {
      SCOPED_TRACE(std::string(with_add ? "with the bias Add" : "no Add") + (elsewhere ? ", cast also an output" : ""));
      auto optimized = Session::from_graph(build(with_add, elsewhere));
      auto plain = Session::from_graph(build(with_add, elsewhere), test::reference_options());
      ASSERT_TRUE(optimized.ok() && plain.ok()) << optimized.status().to_string();
      auto ops = op_counts((*optimized)->graph());
      EXPECT_EQ(ops["Cast"], elsewhere ? 1 : 0);
      EXPECT_EQ(ops["Mul"], elsewhere ? 2 : 1);  // the scalar scales' Mul stays
      EXPECT_EQ(ops["Add"], elsewhere && with_add ? 1 : 0);
      for (const Node& n : (*optimized)->graph().nodes())
        if (n.op_type == "ConvInteger") {
          EXPECT_EQ(n.attrs.get_int("output_float", 0), elsewhere ? 0 : 1);
        }
      test::expect_same_outputs(**optimized, **plain, {random_tensor({1, 4, 9, 8}, rng, -3.0f, 5.0f)}, 0.0);
    }
}

}  // namespace
}  // namespace ez
