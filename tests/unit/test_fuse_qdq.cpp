// QDQ fusion on hand-built QDQ graphs (the layout ONNX Runtime's quantizer writes): the fused
// graph must run QLinearConv / QLinearMatMul with int8 tensors between them, and its outputs must
// equal the float-simulated QDQ graph (reference kernels, no passes) within one quantization step
// of the output scale: the simulation accumulates dequantized floats in float32 while the int8
// kernels sum exact int32 products, and a float bias is rounded to int32 at s_x*s_w, so a value
// lying on a rounding boundary may land one step away.
#include <gtest/gtest.h>

#include <map>

#include "unit/graph_builder.h"

namespace ez {
namespace {

using test::float_tensor;
using test::random_tensor;

std::map<std::string, int> op_counts(const Graph& g) {
  std::map<std::string, int> c;
  for (const Node& n : g.nodes()) c[n.op_type]++;
  return c;
}

Tensor scalar_f(float v) { return float_tensor({v}, Shape{}); }
Tensor scalar_q(DType t, int v) {
  Tensor z = Tensor::zeros(t, {});
  if (t == DType::kUInt8) z.data<uint8_t>()[0] = static_cast<uint8_t>(v);
  else if (t == DType::kUInt16) z.data<uint16_t>()[0] = static_cast<uint16_t>(v);
  else z.data<int8_t>()[0] = static_cast<int8_t>(v);
  return z;
}

struct QdqBuilder : test::GraphBuilder {
  std::mt19937 rng{7};
  int count = 0;
  std::string id(const char* base) { return std::string(base) + std::to_string(count++); }

  // Q then DQ of an activation (per tensor).
  ValueId qdq(ValueId x, float scale, DType t, int zp) {
    const ValueId s = constant(id("s"), scalar_f(scale)), z = constant(id("z"), scalar_q(t, zp));
    const ValueId q = node("QuantizeLinear", {x, s, z}, id("q"));
    return node("DequantizeLinear", {q, s, z}, id("dq"));
  }

  // Per-output-channel symmetric int8 weights behind a DequantizeLinear (axis 0).
  ValueId weights(Shape shape, int64_t channels, int axis) {
    Tensor w = Tensor::zeros(DType::kInt8, shape);
    std::uniform_int_distribution<int> u(-127, 127);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(u(rng));
    Tensor s = Tensor::zeros(DType::kFloat32, {channels});
    std::uniform_real_distribution<float> us(0.002f, 0.01f);
    for (int64_t i = 0; i < channels; ++i) s.data<float>()[i] = us(rng);
    scales.push_back(s);
    Attributes a;
    a.set("axis", Attribute::of_int(axis));
    return node("DequantizeLinear", {constant(id("wq"), w), constant(id("ws"), s), constant(id("wz"), Tensor::zeros(DType::kInt8, {channels}))},
                id("w"), a);
  }

  // SiLU as exporters write it, v * Sigmoid(v) (nodes NAME_sig, NAME_mul).
  ValueId silu(ValueId v, const std::string& name) {
    const ValueId s = node("Sigmoid", {v}, name + "_sig");
    return node("Mul", {v, s}, name + "_mul");
  }

  // int32 bias at scale s_x * s_w[m] behind a DequantizeLinear.
  ValueId bias(float sx, const Tensor& sw) {
    const int64_t M = sw.numel();
    Tensor b = Tensor::zeros(DType::kInt32, {M}), s = Tensor::zeros(DType::kFloat32, {M});
    std::uniform_int_distribution<int> u(-3000, 3000);
    for (int64_t m = 0; m < M; ++m) {
      b.data<int32_t>()[m] = u(rng);
      s.data<float>()[m] = sx * sw.data<float>()[m];
    }
    Attributes a;
    a.set("axis", Attribute::of_int(0));
    return node("DequantizeLinear", {constant(id("bq"), b), constant(id("bs"), s), constant(id("bz"), Tensor::zeros(DType::kInt32, {M}))}, id("b"), a);
  }
  std::vector<Tensor> scales;
};

// x -> QDQ -> Conv(3x3, int32 bias) -> Relu -> QDQ -> Conv(1x1, float bias, stride 2) -> QDQ ->
// Sigmoid (float; taken into the QLinearConv before it) -> QDQ -> depthwise Conv -> Clip(0, 6) -> QDQ(int8) -> output.
Graph conv_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 3, 11, 9});
  Attributes pads;
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  ValueId y = b.qdq(x, 0.02f, DType::kUInt8, 128);
  const ValueId w1 = b.weights({8, 3, 3, 3}, 8, 0);
  y = b.node("Conv", {y, w1, b.bias(0.02f, b.scales.back())}, "conv1", pads);
  y = b.node("Relu", {y}, "relu");
  y = b.qdq(y, 0.01f, DType::kUInt8, 0);
  Attributes s2;
  s2.set("strides", Attribute::of_ints({2, 2}));
  y = b.node("Conv", {y, b.weights({6, 8, 1, 1}, 6, 0), b.constant("fb", random_tensor({6}, b.rng, -0.05f, 0.05f))}, "conv2", s2);
  y = b.qdq(y, 0.015f, DType::kUInt8, 120);
  y = b.node("Sigmoid", {y}, "sig");
  y = b.qdq(y, 1.0f / 255, DType::kUInt8, 0);
  Attributes dw = pads;
  dw.set("group", Attribute::of_int(6));
  y = b.node("Conv", {y, b.weights({6, 1, 3, 3}, 6, 0)}, "conv3", dw);
  y = b.node("Clip", {y, b.constant("lo", scalar_f(0.0f)), b.constant("hi", scalar_f(6.0f))}, "clip");
  y = b.qdq(y, 0.004f, DType::kInt8, -128);  // [0, 1.02]: inside the clip, so it is absorbed
  b.g.outputs() = {y};
  return std::move(b.g);
}

// A [2,5,6] activation times a [6,4] int8 matrix with per-column scales.
Graph matmul_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {2, 5, 6});
  ValueId y = b.qdq(x, 0.01f, DType::kUInt8, 100);
  y = b.node("MatMul", {y, b.weights({6, 4}, 4, 1)}, "mm");
  y = b.qdq(y, 0.002f, DType::kInt8, 3);
  b.g.outputs() = {y};
  return std::move(b.g);
}

void expect_within_steps(Session& fused, Session& simulated, const Tensor& input, double step) {
  auto a = fused.run({input});
  auto r = simulated.run({input});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Tensor& f = (*a)[0];
  const Tensor& s = (*r)[0];
  ASSERT_EQ(f.shape(), s.shape());
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < f.numel(); ++i) {
    max_diff = std::max(max_diff, std::fabs(double(f.data<float>()[i]) - s.data<float>()[i]));
    max_ref = std::max(max_ref, std::fabs(double(s.data<float>()[i])));
  }
  EXPECT_LE(max_diff, step * 1.0001) << "max diff " << max_diff << " (one step " << step << ")";
  EXPECT_GT(max_ref, 10 * step);  // the output is not trivially constant
}

TEST(FuseQdq, ConvolutionsRunAsQLinearConvWithInt8Between) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels");
    SessionOptions o;
    o.kernels = kernels;
    o.num_threads = 2;  // kernels prepared in parallel, run on two threads
    auto fused = Session::from_graph(conv_graph(), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    auto ops = op_counts((*fused)->graph());
    EXPECT_EQ(ops["QLinearConv"], 3);
    for (const char* gone : {"Conv", "FusedConv", "Relu", "Clip"}) EXPECT_EQ(ops[gone], 0) << gone;
    // The convolutions exchange uint8 directly, the Sigmoid (between DQ and Q) runs inside conv2,
    // conv3 writes the dequantized float output itself: only the graph's input Q remains.
    EXPECT_EQ(ops["DequantizeLinear"], 0);
    EXPECT_EQ(ops["QuantizeLinear"], 1);
    EXPECT_EQ(ops["Sigmoid"], 0);
    auto simulated = Session::from_graph(conv_graph(), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(3);
    for (int rep = 0; rep < 3; ++rep) expect_within_steps(**fused, **simulated, random_tensor({1, 3, 11, 9}, rng, -2.5f, 2.5f), 0.004);
  }
}

// A 16-bit QuantizeLinear between two convolutions (opset 21's uint16, what `quantize --int16`
// writes in ONNX Runtime's domain): the convolution before it cannot write 16 bits, so it stays a
// float-result QLinearConv and the uint16 pair runs on its own; the one after computes in float.
TEST(FuseQdq, SixteenBitQuantizeIsNotFusedIntoTheConvolution) {
  auto graph = [] {
    QdqBuilder b;
    const ValueId x = b.input("x", {1, 3, 9, 9});
    ValueId y = b.qdq(x, 0.02f, DType::kUInt8, 128);
    y = b.node("Conv", {y, b.weights({4, 3, 1, 1}, 4, 0)}, "conv1");
    y = b.qdq(y, 0.0001f, DType::kUInt16, 32768);
    y = b.node("Conv", {y, b.weights({5, 4, 1, 1}, 5, 0)}, "conv2");
    y = b.qdq(y, 0.0005f, DType::kUInt8, 128);
    b.g.outputs() = {y};
    return std::move(b.g);
  };
  auto fused = Session::from_graph(graph(), SessionOptions{});
  ASSERT_TRUE(fused.ok()) << fused.status().to_string();
  auto ops = op_counts((*fused)->graph());
  EXPECT_EQ(ops["QLinearConv"], 1);
  int sixteen = 0;
  for (const Node& n : (*fused)->graph().nodes())
    if (n.op_type == "QuantizeLinear") sixteen += (*fused)->graph().value(n.outputs[0]).desc.dtype == DType::kUInt16;
  EXPECT_EQ(sixteen, 1);
  auto simulated = Session::from_graph(graph(), test::reference_options());
  ASSERT_TRUE(simulated.ok());
  std::mt19937 rng(5);
  expect_within_steps(**fused, **simulated, random_tensor({1, 3, 9, 9}, rng, -2.5f, 2.5f), 0.0005);
}

// YOLOX's block: conv -> QDQ -> SiLU written as x * Sigmoid(x) -> QDQ -> conv. The SiLU runs inside
// the first QLinearConv; the second SiLU's output is read in float too (a graph output), so conv2
// writes it as float (dequantized, activated) and the QuantizeLinear stays.
Graph silu_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 4, 13, 10});
  Attributes pads;
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  ValueId y = b.qdq(x, 0.02f, DType::kUInt8, 128);
  y = b.node("Conv", {y, b.weights({8, 4, 3, 3}, 8, 0)}, "conv1", pads);
  y = b.qdq(y, 0.03f, DType::kUInt8, 100);
  const ValueId s1 = b.node("Sigmoid", {y}, "sig1");
  y = b.node("Mul", {y, s1}, "silu1");
  y = b.qdq(y, 0.02f, DType::kUInt8, 20);
  y = b.node("Conv", {y, b.weights({6, 8, 1, 1}, 6, 0)}, "conv2");
  y = b.qdq(y, 0.03f, DType::kUInt8, 110);
  const ValueId s2 = b.node("Sigmoid", {y}, "sig2");
  const ValueId silu2 = b.node("Mul", {s2, y}, "silu2");
  const ValueId out = b.qdq(silu2, 0.02f, DType::kUInt8, 20);
  b.g.outputs() = {out, silu2};
  return std::move(b.g);
}

TEST(FuseQdq, SiluBetweenConvolutionsRunsInsideTheConvolution) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels");
    SessionOptions o;
    o.kernels = kernels;
    auto fused = Session::from_graph(silu_graph(), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    auto ops = op_counts((*fused)->graph());
    EXPECT_EQ(ops["QLinearConv"], 2);
    EXPECT_EQ(ops["Sigmoid"], 0);
    EXPECT_EQ(ops["QuantizeLinear"], 2);  // the input's and the second SiLU's (then its DQ, an output)
    EXPECT_EQ(ops["DequantizeLinear"], 1);
    auto simulated = Session::from_graph(silu_graph(), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(8);
    expect_within_steps(**fused, **simulated, random_tensor({1, 4, 13, 10}, rng, -2.5f, 2.5f), 0.02);
  }
}

TEST(FuseQdq, MatMulRunsAsQLinearMatMul) {
  auto fused = Session::from_graph(matmul_graph());
  ASSERT_TRUE(fused.ok()) << fused.status().to_string();
  auto ops = op_counts((*fused)->graph());
  EXPECT_EQ(ops["QLinearMatMul"], 1);
  EXPECT_EQ(ops["MatMul"], 0);
  auto simulated = Session::from_graph(matmul_graph(), test::reference_options());
  ASSERT_TRUE(simulated.ok());
  std::mt19937 rng(4);
  expect_within_steps(**fused, **simulated, random_tensor({2, 5, 6}, rng, -1.0f, 1.5f), 0.002);
}

// A Relu whose clamp the output range does not imply (zero point in the middle of the range)
// stays, and the convolution then runs in float between DequantizeLinear and QuantizeLinear.
// A Relu whose clamp the output range does not imply (z_y = 128 keeps negatives) cannot vanish
// into the saturation: the convolution's sum goes to float, the Relu runs on it, and only then
// the result is quantized, all inside one QLinearConv ("float_accumulator").
TEST(FuseQdq, ActivationNotImpliedByTheRangeRunsOnTheFloatSum) {
  auto build = [] {
    QdqBuilder b;
    const ValueId x = b.input("x", {1, 2, 5, 5});
    ValueId y = b.qdq(x, 0.02f, DType::kUInt8, 128);
    y = b.node("Conv", {y, b.weights({3, 2, 3, 3}, 3, 0)}, "conv");
    y = b.node("Relu", {y}, "relu");
    y = b.qdq(y, 0.01f, DType::kUInt8, 128);
    b.g.outputs() = {y};
    return std::move(b.g);
  };
  auto fused = Session::from_graph(build());
  ASSERT_TRUE(fused.ok()) << fused.status().to_string();
  auto ops = op_counts((*fused)->graph());
  EXPECT_EQ(ops["QLinearConv"], 1);
  EXPECT_EQ(ops["FusedConv"], 0);
  EXPECT_EQ(ops["Relu"], 0);
  for (const Node& n : (*fused)->graph().nodes())
    if (n.op_type == "QLinearConv") {
      EXPECT_EQ(n.attrs.get_int("float_accumulator", 0), 1);
      EXPECT_EQ(n.attrs.get_string("activation", ""), "Relu");
    }
  auto simulated = Session::from_graph(build(), test::reference_options());
  ASSERT_TRUE(simulated.ok());
  std::mt19937 rng(5);
  expect_within_steps(**fused, **simulated, random_tensor({1, 2, 5, 5}, rng, -2.0f, 2.0f), 0.01);
}

// The placement of input-only quantizers (ONNX Runtime's default, edgezoo quantize): Q/DQ on
// each convolution's input, none on its output,
//   x -> QDQ -> Conv -> QDQ -> Conv -> SiLU -> Concat(with a second branch) -> QDQ -> Conv -> SiLU -> output.
// The first convolution meets its QuantizeLinear directly (a plain QLinearConv, fused first: the
// nodes it replaces shift every index after it); every other one becomes a QLinearConv whose sum
// goes to float, takes the SiLU in and writes the next QuantizeLinear's int8 output (through the
// Concat); the last one writes float.
Graph input_only_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 4, 9, 8});
  Attributes pads;
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  ValueId xq = b.qdq(x, 0.02f, DType::kUInt8, 128);
  xq = b.node("Conv", {xq, b.weights({4, 4, 1, 1}, 4, 0)}, "conv_pre");
  xq = b.qdq(xq, 0.03f, DType::kUInt8, 120);
  ValueId a = b.node("Conv", {xq, b.weights({6, 4, 3, 3}, 6, 0), b.bias(0.02f, b.scales.back())}, "conv_a", pads);
  a = b.silu(a, "a");
  ValueId c = b.node("Conv", {xq, b.weights({5, 4, 1, 1}, 5, 0)}, "conv_c");
  c = b.silu(c, "c");
  ValueId y = b.node("Concat", {a, c}, "cat", [] {
    Attributes at;
    at.set("axis", Attribute::of_int(1));
    return at;
  }());
  y = b.qdq(y, 0.01f, DType::kUInt8, 30);
  y = b.node("Conv", {y, b.weights({7, 11, 3, 3}, 7, 0), b.bias(0.01f, b.scales.back())}, "conv_out", pads);
  y = b.silu(y, "out");
  b.g.outputs() = {y};
  return std::move(b.g);
}

TEST(FuseQdq, InputOnlyPlacementRunsEveryConvolutionInInt8) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels");
    SessionOptions o;
    o.kernels = kernels;
    auto fused = Session::from_graph(input_only_graph(), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    auto ops = op_counts((*fused)->graph());
    EXPECT_EQ(ops["QLinearConv"], 4);
    EXPECT_EQ(ops["DequantizeLinear"], 0);
    EXPECT_EQ(ops["QuantizeLinear"], 1);  // the graph input's
    EXPECT_EQ(ops["Sigmoid"] + ops["Mul"] + ops["Conv"] + ops["FusedConv"], 0);
    int float_acc = 0, float_out = 0;
    for (const Node& n : (*fused)->graph().nodes()) {
      if (n.op_type != "QLinearConv" || n.attrs.get_int("float_accumulator", 0) == 0) continue;
      ++float_acc;
      EXPECT_EQ(n.attrs.get_string("activation", ""), "Silu") << n.name;
      float_out += static_cast<int>(n.attrs.get_int("output_float", 0));
    }
    EXPECT_EQ(float_acc, 3);  // all but conv_pre
    EXPECT_EQ(float_out, 1);  // only the last convolution's result stays float
    auto simulated = Session::from_graph(input_only_graph(), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(17);
    // The float output is SiLU of a sum of exact integer products: it differs from the float
    // simulation by float rounding only (measured: at most 8e-6 of values up to 24), unless a
    // value upstream lands across a rounding boundary of the concat's quantization (one step,
    // 0.01, times this convolution's weights): the bound allows that, not a wrong tap or scale.
    for (int rep = 0; rep < 3; ++rep) expect_within_steps(**fused, **simulated, random_tensor({1, 4, 9, 8}, rng, -2.5f, 2.5f), 0.05);
  }
}

// What edgezoo's quantizer writes for a depthwise convolution whose input it equalized: the
// producer's SiLU result times per-channel constants (>= 1), then Q/DQ, then the depthwise conv,
//   x -> QDQ -> Conv -> SiLU -> Mul([1,6,1,1]) -> QDQ -> depthwise Conv -> SiLU -> output.
// The first convolution takes the SiLU, the Mul and the QuantizeLinear in (channel multiplier,
// internal input 9), so no float tensor is left between the two convolutions.
Graph equalized_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 4, 9, 8});
  Attributes pads;
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  ValueId y = b.qdq(x, 0.02f, DType::kUInt8, 128);
  y = b.node("Conv", {y, b.weights({6, 4, 3, 3}, 6, 0), b.bias(0.02f, b.scales.back())}, "conv_a", pads);
  y = b.silu(y, "a");
  y = b.node("Mul", {y, b.constant("equalize", random_tensor({1, 6, 1, 1}, b.rng, 1.0f, 3.0f))}, "a_equalize");
  y = b.qdq(y, 0.03f, DType::kUInt8, 10);
  Attributes dw = pads;
  dw.set("group", Attribute::of_int(6));
  y = b.node("Conv", {y, b.weights({6, 1, 3, 3}, 6, 0)}, "conv_dw", dw);
  y = b.silu(y, "out");
  b.g.outputs() = {y};
  return std::move(b.g);
}

TEST(FuseQdq, EqualizingMulIsTakenIntoTheProducingConvolution) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels");
    SessionOptions o;
    o.kernels = kernels;
    auto fused = Session::from_graph(equalized_graph(), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    auto ops = op_counts((*fused)->graph());
    EXPECT_EQ(ops["QLinearConv"], 2);
    EXPECT_EQ(ops["QuantizeLinear"], 1);  // the graph input's
    EXPECT_EQ(ops["Mul"] + ops["Sigmoid"] + ops["DequantizeLinear"], 0);
    int with_multiplier = 0;
    for (const Node& n : (*fused)->graph().nodes())
      with_multiplier += n.op_type == "QLinearConv" && n.inputs.size() == 10 && n.inputs[9] != kNoValue;
    EXPECT_EQ(with_multiplier, 1);
    auto simulated = Session::from_graph(equalized_graph(), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(23);
    // As above: float rounding only, unless a value lands across a rounding boundary of the
    // depthwise input's quantization (one step, 0.03, times a weight up to 1.27, through SiLU).
    for (int rep = 0; rep < 3; ++rep) expect_within_steps(**fused, **simulated, random_tensor({1, 4, 9, 8}, rng, -2.5f, 2.5f), 0.05);
  }
}

// A residual block as edgezoo's quantizer writes it: the first convolution's SiLU result y is
// read by the next convolution (through Q/DQ), in float by the residual Add, and, equalized, by a
// depthwise convolution,
//   x -> QDQ -> Conv -> SiLU = y -> {QDQ -> Conv -> SiLU = z, Add(y, z), Mul(y, c) -> QDQ -> dw Conv},
// so y stays float and its two quantizations become the first convolution's second and third
// outputs, the Mul a channel multiplier of the third (passes/fuse_conv_output_quantize): no
// QuantizeLinear but the input's, and no Mul, is left. Without the Add nothing reads y in float
// any more: the convolution is told so (float_result_unused) and its kernel may skip storing it.
Graph residual_graph(bool with_add = true) {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 8, 6, 7});
  const ValueId xq = b.qdq(x, 0.02f, DType::kUInt8, 128);
  ValueId y = b.node("Conv", {xq, b.weights({8, 8, 1, 1}, 8, 0), b.bias(0.02f, b.scales.back())}, "conv_a");
  y = b.silu(y, "a");
  ValueId z = b.qdq(y, 0.03f, DType::kUInt8, 10);
  z = b.node("Conv", {z, b.weights({8, 8, 1, 1}, 8, 0), b.bias(0.03f, b.scales.back())}, "conv_b");
  z = b.silu(z, "b");
  ValueId e = b.node("Mul", {y, b.constant("equalize", random_tensor({1, 8, 1, 1}, b.rng, 1.0f, 3.0f))}, "y_equalize");
  e = b.qdq(e, 0.05f, DType::kUInt8, 20);
  Attributes dw;
  dw.set("group", Attribute::of_int(8));
  dw.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  e = b.node("Conv", {e, b.weights({8, 1, 3, 3}, 8, 0)}, "conv_dw", dw);
  b.g.outputs() = {with_add ? b.node("Add", {y, z}, "out") : z, e};
  return std::move(b.g);
}

TEST(FuseQdq, FloatResultAlsoQuantizedIsWrittenByTheConvolution) {
  for (bool with_add : {true, false})
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(std::string(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels") + (with_add ? "" : ", no Add"));
    SessionOptions o;
    o.kernels = kernels;
    auto fused = Session::from_graph(residual_graph(with_add), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    auto ops = op_counts((*fused)->graph());
    EXPECT_EQ(ops["QLinearConv"], 3);
    EXPECT_EQ(ops["QuantizeLinear"], 1);  // the graph input's
    EXPECT_EQ(ops["Mul"], 0);
    int three_outputs = 0;
    for (const Node& n : (*fused)->graph().nodes()) {
      if (n.op_type != "QLinearConv" || n.outputs.size() != 3) continue;
      ++three_outputs;
      EXPECT_EQ(n.attrs.get_int("float_result_unused", 0), with_add ? 0 : 1);
    }
    EXPECT_EQ(three_outputs, 1);
    auto simulated = Session::from_graph(residual_graph(with_add), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(31);
    // Float rounding only, unless a value lands across a rounding boundary of y's quantization
    // (one step, 0.03, times the second convolution's weights, through SiLU).
    for (int rep = 0; rep < 3; ++rep) expect_within_steps(**fused, **simulated, random_tensor({1, 8, 6, 7}, rng, -2.5f, 2.5f), 0.05);
  }
}

// A YOLO neck as input-only quantizers write it: a convolution's SiLU result u read by three max
// pools (SPP), by a nearest 2x upsample and by the Concat itself, then Q/DQ and a convolution,
//   x -> QDQ -> Conv -> SiLU = u -> {u, MaxPool5(u), MaxPool9(u), Resize(MaxPool(u)) ...} -> Concat -> QDQ -> Conv.
// Quantization commutes with max and with a nearest copy, so the pools and the Resize run on the
// int8 u and one QuantizeLinear -- written by the first convolution itself -- serves them all.
Graph neck_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 4, 8, 8});
  Attributes pads;
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  ValueId xq = b.qdq(x, 0.02f, DType::kUInt8, 128);
  ValueId u = b.node("Conv", {xq, b.weights({6, 4, 3, 3}, 6, 0), b.bias(0.02f, b.scales.back())}, "conv_a", pads);
  u = b.silu(u, "a");
  auto pool = [&](int k, const std::string& name, ValueId in) {
    Attributes a;
    a.set("kernel_shape", Attribute::of_ints({k, k}));
    a.set("pads", Attribute::of_ints({k / 2, k / 2, k / 2, k / 2}));
    return b.node("MaxPool", {in}, name, a);
  };
  const ValueId p5 = pool(5, "mp5", u), p9 = pool(9, "mp9", u);
  // MaxPool 2x2 stride 2, then a nearest 2x upsample back: a chain of two commuting nodes.
  Attributes down;
  down.set("kernel_shape", Attribute::of_ints({2, 2}));
  down.set("strides", Attribute::of_ints({2, 2}));
  const ValueId half = b.node("MaxPool", {u}, "mp_down", down);
  Attributes nearest;
  Attribute mode;
  mode.kind = Attribute::Kind::kString;
  mode.s = "nearest";
  nearest.set("mode", mode);
  const ValueId up = b.node("Resize", {half, kNoValue, b.constant("scales", float_tensor({1, 1, 2, 2}))}, "up", nearest);
  Attributes axis;
  axis.set("axis", Attribute::of_int(1));
  ValueId y = b.node("Concat", {u, p5, p9, up}, "cat", axis);
  y = b.qdq(y, 0.02f, DType::kUInt8, 14);
  y = b.node("Conv", {y, b.weights({5, 24, 1, 1}, 5, 0)}, "conv_out");
  b.g.outputs() = {y};
  return std::move(b.g);
}

TEST(FuseQdq, MaxPoolsAndNearestResizeRunOnInt8) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels");
    SessionOptions o;
    o.kernels = kernels;
    auto fused = Session::from_graph(neck_graph(), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    const Graph& g = (*fused)->graph();
    auto ops = op_counts(g);
    EXPECT_EQ(ops["QuantizeLinear"], 1);  // the graph input's
    EXPECT_EQ(ops["DequantizeLinear"] + ops["Sigmoid"] + ops["Mul"], 0);
    for (const Node& n : g.nodes()) {
      if (n.op_type == "MaxPool" || n.op_type == "Resize" || n.op_type == "Concat") {
        EXPECT_EQ(g.value(n.inputs[0]).desc.dtype, DType::kUInt8) << n.name << " runs on int8";
      }
    }
    int float_out = 0;
    for (const Node& n : g.nodes()) float_out += n.op_type == "QLinearConv" && n.attrs.get_int("output_float", 0) != 0;
    EXPECT_EQ(ops["QLinearConv"], 2);
    EXPECT_EQ(float_out, 1) << "the first convolution writes the int8 u itself, only the last one float";
    auto simulated = Session::from_graph(neck_graph(), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(21);
    // Exact rearrangements of the same quantized values: the output differs from the float
    // simulation by float rounding, or by a flip of u's rounding (one step of 0.02 times the last
    // convolution's weights) where the integer sum and the float one land on opposite sides.
    for (int rep = 0; rep < 3; ++rep) expect_within_steps(**fused, **simulated, random_tensor({1, 4, 8, 8}, rng, -2.5f, 2.5f), 0.05);
  }
}

// An int8 YOLOv5/YOLOX stem: the Focus gather (one strided Slice per block, Concat) of the float
// picture, QDQ, a 3x3 convolution. The QuantizeLinear moves before the gather (a gather commutes
// with a per-tensor quantization), so the gather runs on uint8, a quarter of the bytes.
Graph focus_stem_graph() {
  QdqBuilder b;
  const ValueId x = b.input("x", {1, 3, 8, 12});
  std::vector<ValueId> parts;
  const int64_t offsets[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
  for (int k = 0; k < 4; ++k) {
    const std::string n = "p" + std::to_string(k);
    parts.push_back(b.node("Slice", {x, b.constant(n + "_s", test::int64_tensor({offsets[k][0], offsets[k][1]})),
                                     b.constant(n + "_e", test::int64_tensor({INT64_MAX, INT64_MAX})),
                                     b.constant(n + "_a", test::int64_tensor({2, 3})), b.constant(n + "_t", test::int64_tensor({2, 2}))},
                           n));
  }
  Attributes axis, pads;
  axis.set("axis", Attribute::of_int(1));
  pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  ValueId y = b.node("Concat", parts, "focus", axis);
  y = b.qdq(y, 1.0f, DType::kUInt8, 0);
  y = b.node("Conv", {y, b.weights({8, 12, 3, 3}, 8, 0), b.bias(1.0f, b.scales.back())}, "stem", pads);
  y = b.qdq(y, 0.5f, DType::kUInt8, 20);
  b.g.outputs() = {y};
  return std::move(b.g);
}

TEST(FuseQdq, FocusGatherRunsOnTheQuantizedPicture) {
  for (auto kernels : {ops::KernelChoice::kFast, ops::KernelChoice::kReference}) {
    SCOPED_TRACE(kernels == ops::KernelChoice::kFast ? "fast kernels" : "reference kernels");
    SessionOptions o;
    o.kernels = kernels;
    auto fused = Session::from_graph(focus_stem_graph(), o);
    ASSERT_TRUE(fused.ok()) << fused.status().to_string();
    const Graph& g = (*fused)->graph();
    auto ops = op_counts(g);
    EXPECT_EQ(ops["SpaceToDepthBlocks"], 1);
    EXPECT_EQ(ops["QuantizeLinear"], 1);
    EXPECT_EQ(ops["QLinearConv"], 1);
    for (const Node& n : g.nodes()) {
      if (n.op_type == "SpaceToDepthBlocks") {
        EXPECT_EQ(g.value(n.inputs[0]).desc.dtype, DType::kUInt8) << "the gather runs on the quantized picture";
      }
      if (n.op_type == "QuantizeLinear") {
        EXPECT_EQ(g.value(n.inputs[0]).name, "x") << "the picture is quantized before the gather";
      }
    }
    auto simulated = Session::from_graph(focus_stem_graph(), test::reference_options());
    ASSERT_TRUE(simulated.ok());
    std::mt19937 rng(23);
    // The same quantized values rearranged: the output differs from the float simulation only by
    // float rounding (or one output step where it lands on a rounding boundary).
    for (int rep = 0; rep < 3; ++rep) expect_within_steps(**fused, **simulated, random_tensor({1, 3, 8, 12}, rng, 0.0f, 255.0f), 0.5);
  }
}

}  // namespace
}  // namespace ez
