// QLinearConv / QLinearMatMul: reference kernels on hand-computed values and error cases, and the
// oneDNN int8 QLinearConv against the reference on awkward shapes. The fast path must agree
// within one quantization step: both compute round(float(acc + B) * s_x*s_w/s_y) + z_y with the
// same float32 multiplier, but oneDNN adds the bias and the output zero point as floats around
// the scaling (float(acc) + float(B), then + z_y before rounding), which can move a value that
// sits on a rounding tie by one step. In practice nearly every element is exact (checked too).
#include <gtest/gtest.h>

#include <cstdlib>

#include <cmath>
#include <random>

#include "ops/channels_last.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

template <typename T>
Tensor make(DType t, Shape s, std::vector<T> v) {
  Tensor x = Tensor::zeros(t, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) x.data<T>()[i] = v[i];
  return x;
}
Tensor f32(std::vector<float> v, Shape s = {}) { return make<float>(DType::kFloat32, s.empty() && v.size() > 1 ? Shape{int64_t(v.size())} : s, v); }
Tensor u8(std::vector<uint8_t> v, Shape s = {}) { return make<uint8_t>(DType::kUInt8, s, v); }
Tensor s8(std::vector<int8_t> v, Shape s = {}) { return make<int8_t>(DType::kInt8, s, v); }

Tensor random_q(DType t, Shape s, std::mt19937& rng) {
  Tensor x = Tensor::zeros(t, std::move(s));
  std::uniform_int_distribution<int> u(t == DType::kUInt8 ? 0 : -128, t == DType::kUInt8 ? 255 : 127);
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (t == DType::kUInt8) x.data<uint8_t>()[i] = static_cast<uint8_t>(u(rng));
    else x.data<int8_t>()[i] = static_cast<int8_t>(u(rng));
  }
  return x;
}

// Runs a kernel; all inputs but the first are passed as constants (as in quantized models).
Result<Tensor> run_op(const KernelConfig& cfg, KernelChoice choice, const std::vector<Tensor>& in, std::string* impl = nullptr) {
  EZ_ASSIGN_OR_RETURN(KernelPtr k, create_kernel(cfg, choice));
  std::vector<KernelInput> kin(in.size());
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < in.size(); ++i) {
    ptrs.push_back(in[i].empty() ? nullptr : &in[i]);
    if (in[i].empty()) continue;
    kin[i].desc = in[i].desc();
    if (i > 0) kin[i].value = &in[i];
  }
  std::vector<TensorDesc> descs(1);
  EZ_RETURN_IF_ERROR(k->infer(kin, &descs));
  EZ_RETURN_IF_ERROR(k->prepare(kin));
  EZ_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(descs[0].dtype, descs[0].shape));
  std::vector<Tensor> outs = {out};
  ThreadPool pool(2);
  EZ_RETURN_IF_ERROR(k->run(ptrs, outs, RunContext{&pool}));
  if (impl) *impl = k->impl_name();
  return outs[0];
}

KernelConfig config(const std::string& op, int inputs, Attributes a = {}) {
  KernelConfig c;
  c.op_type = op;
  c.attrs = std::move(a);
  c.num_inputs = inputs;
  return c;
}

TEST(QLinearConv, HandComputedWithBiasAndZeroPoints) {
  // x - 2 = [[0,2,4],[6,8,10],[12,14,16]], w = [[1,-1],[2,0]], B = 3, multiplier 0.5*0.25/0.1 = 1.25:
  // sums 10, 14, 22, 26 (+3) -> round(16.25, 21.25, 31.25, 36.25) + 10 = 26, 31, 41, 46.
  std::vector<Tensor> in = {u8({2, 4, 6, 8, 10, 12, 14, 16, 18}, {1, 1, 3, 3}), f32({0.5f}, {}), u8({2}, {}),
                            s8({1, -1, 2, 0}, {1, 1, 2, 2}), f32({0.25f}, {}), s8({0}, {}), f32({0.1f}, {}), u8({10}, {}),
                            make<int32_t>(DType::kInt32, {1}, {3})};
  auto y = run_op(config("QLinearConv", 9), KernelChoice::kReference, in);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ(y->shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y->dtype(), DType::kUInt8);
  const std::vector<int> want = {26, 31, 41, 46};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y->data<uint8_t>()[i], want[i]) << i;
}

TEST(QLinearConv, PaddingReadsAsTheZeroPointAndOutputSaturates) {
  // One pixel x = 7 with zero point 7 (real 0), 3x3 kernel of ones, pads 1: every tap is zero, so
  // y = B * 1 / 1 + 0 = B; B = 300 saturates int8 to 127, B = -300 to -128.
  Attributes a;
  a.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  for (int32_t b : {300, -300, 5}) {
    std::vector<Tensor> in = {u8({7}, {1, 1, 1, 1}), f32({1.0f}, {}), u8({7}, {}), s8(std::vector<int8_t>(9, 1), {1, 1, 3, 3}),
                              f32({1.0f}, {}), s8({0}, {}), f32({1.0f}, {}), s8({0}, {}), make<int32_t>(DType::kInt32, {1}, {b})};
    auto y = run_op(config("QLinearConv", 9, a), KernelChoice::kReference, in);
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    EXPECT_EQ(y->dtype(), DType::kInt8);
    EXPECT_EQ(y->data<int8_t>()[0], std::max(-128, std::min(127, b)));
  }
}

TEST(QLinearConv, ErrorsNameTheProblem) {
  std::vector<Tensor> in = {u8({1, 2, 3, 4}, {1, 1, 2, 2}), f32({1.0f}, {}), u8({0}, {}), s8({1, 1}, {2, 1, 1, 1}),
                            f32({1.0f, 2.0f, 3.0f}), s8({0}, {}), f32({1.0f}, {}), u8({0}, {})};
  auto y = run_op(config("QLinearConv", 8), KernelChoice::kReference, in);  // 3 weight scales for 2 channels
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().to_string().find("scale"), std::string::npos) << y.status().to_string();
  in[4] = f32({1.0f}, {});
  in[3] = s8({1, 1}, {2, 2, 1, 1});  // 2 input channels expected, x has 1
  y = run_op(config("QLinearConv", 8), KernelChoice::kReference, in);
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().to_string().find("QLinearConv"), std::string::npos);
  in[3] = s8({1, 1}, {2, 1, 1, 1});
  in[0] = f32({1, 2, 3, 4}, {1, 1, 2, 2});  // float x
  EXPECT_FALSE(run_op(config("QLinearConv", 8), KernelChoice::kReference, in).ok());
}

TEST(QLinearMatMul, HandComputedPerColumnScales) {
  // a - 1 = [[0,1,2],[3,4,5]], b = [[1,2],[3,4],[5,6]]: sums [[13,16],[40,52]]; multipliers
  // 0.5*0.5 = 0.25 and 0.5*1 = 0.5 per column: round(3.25, 8, 10, 26) - 3 = [[0,5],[7,23]].
  std::vector<Tensor> in = {u8({1, 2, 3, 4, 5, 6}, {2, 3}), f32({0.5f}, {}), u8({1}, {}), s8({1, 2, 3, 4, 5, 6}, {3, 2}),
                            f32({0.5f, 1.0f}), s8({0, 0}, {2}), f32({1.0f}, {}), s8({-3}, {})};
  auto y = run_op(config("QLinearMatMul", 8), KernelChoice::kReference, in);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ(y->shape(), (Shape{2, 2}));
  const std::vector<int> want = {0, 5, 7, 23};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y->data<int8_t>()[i], want[i]) << i;
}

TEST(QLinearMatMul, BroadcastBatchesMatchPerMatrixProducts) {
  std::mt19937 rng(5);
  const Tensor a = random_q(DType::kUInt8, {2, 1, 3, 4}, rng), b = random_q(DType::kInt8, {3, 4, 5}, rng);
  auto q = [](Tensor x, Tensor y) {
    return std::vector<Tensor>{x, f32({0.02f}, {}), u8({128}, {}), y, f32({0.01f}, {}), s8({0}, {}), f32({0.05f}, {}), u8({100}, {})};
  };
  auto y = run_op(config("QLinearMatMul", 8), KernelChoice::kReference, q(a, b));
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ(y->shape(), (Shape{2, 3, 3, 5}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      Tensor ai = Tensor::borrow(DType::kUInt8, {3, 4}, const_cast<uint8_t*>(a.data<uint8_t>()) + i * 12);
      Tensor bj = Tensor::borrow(DType::kInt8, {4, 5}, const_cast<int8_t*>(b.data<int8_t>()) + j * 20);
      auto yij = run_op(config("QLinearMatMul", 8), KernelChoice::kReference, q(ai, bj));
      ASSERT_TRUE(yij.ok());
      for (int64_t k = 0; k < 15; ++k) EXPECT_EQ(y->data<uint8_t>()[(i * 3 + j) * 15 + k], yij->data<uint8_t>()[k]);
    }
}

// QuantizeLinear's vectorised loop (16 values per step) against the plain formula on ties, both
// saturation ends, huge values and a tail that is not a multiple of 16.
TEST(QuantizeLinear, VectorLoopMatchesTheFormula) {
  std::vector<float> x;
  for (int k = -700; k <= 700; ++k) x.push_back(0.5f * k * 0.25f);  // every half step: ties
  for (float v : {1e30f, -1e30f, 3e9f, -3e9f, 0.0f, -0.0f}) x.push_back(v);
  x.push_back(0.3f);  // 1407 values
  for (DType t : {DType::kUInt8, DType::kInt8})
    for (int zp : {0, 3, -7, 128}) {
      if (t == DType::kUInt8 && zp < 0) continue;
      if (t == DType::kInt8 && zp > 127) continue;
      const Tensor z = t == DType::kUInt8 ? u8({static_cast<uint8_t>(zp)}, {}) : s8({static_cast<int8_t>(zp)}, {});
      auto y = run_op(config("QuantizeLinear", 3), KernelChoice::kReference, {f32(x), f32({0.25f}, {}), z});
      ASSERT_TRUE(y.ok()) << y.status().to_string();
      const double lo = t == DType::kUInt8 ? 0 : -128, hi = t == DType::kUInt8 ? 255 : 127;
      for (size_t i = 0; i < x.size(); ++i) {
        const double want = std::min(hi, std::max(lo, std::nearbyint(static_cast<double>(x[i] / 0.25f)) + zp));
        ASSERT_EQ(y->at_int(static_cast<int64_t>(i)), static_cast<int64_t>(want)) << "x=" << x[i] << " zp=" << zp;
      }
    }
}

// ---- oneDNN int8 convolution against the reference ---------------------------------------------

struct ConvCase {
  Shape x, w;
  int64_t group;
  std::vector<int64_t> pads, strides, dilations;
  DType xt, wt, yt;
  bool per_channel, bias;
  int32_t x_zp, w_zp, y_zp;
  std::string activation = "";  // fused by the QDQ pass: y_q (scale 0.03, zp 120, uint8) -> act -> output
  bool float_acc = false;       // "float_accumulator": sum -> float -> act -> output, no y_q
  bool channel_mult = false;    // with float_acc: internal input 9, a multiplier per output channel
};

// float_route_forced: EDGEZOO_INT8_FLOAT_ROUTE=1 is set, so the exact float route must be taken.
void check_fast_conv(const ConvCase& c, bool channels_last, bool float_route_forced, std::mt19937& rng) {
  const int64_t M = c.w[0];
  Attributes a;
  a.set("group", Attribute::of_int(c.group));
  a.set("pads", Attribute::of_ints(c.pads));
  a.set("strides", Attribute::of_ints(c.strides));
  a.set("dilations", Attribute::of_ints(c.dilations));
  if (c.float_acc) a.set("float_accumulator", Attribute::of_int(1));
  if (!c.activation.empty() && c.float_acc) {
    Attribute name;
    name.kind = Attribute::Kind::kString;
    name.s = c.activation;
    a.set("activation", name);
  } else if (!c.activation.empty()) {
    Attribute name, scale;
    name.kind = Attribute::Kind::kString;
    name.s = c.activation;
    scale.kind = Attribute::Kind::kFloat;
    scale.f = 0.03f;
    a.set("activation", name);
    a.set("activation_input_scale", scale);
    a.set("activation_input_zero_point", Attribute::of_int(120));
    a.set("activation_input_type", Attribute::of_int(static_cast<int64_t>(DType::kUInt8)));
  }
  Tensor x = random_q(c.xt, c.x, rng), w = random_q(c.wt, c.w, rng);
  if (c.wt == DType::kInt8)  // symmetric weights as quantizers write them (fit s8 after the zero point)
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(w.data<int8_t>()[i] / 2);
  std::uniform_real_distribution<float> us(0.002f, 0.02f);
  std::vector<float> ws(c.per_channel ? M : 1);
  for (float& s : ws) s = us(rng);
  auto zp = [](DType t, int32_t v) { return t == DType::kUInt8 ? u8({static_cast<uint8_t>(v)}, {}) : s8({static_cast<int8_t>(v)}, {}); };
  Tensor wzp = Tensor::zeros(c.wt, {static_cast<int64_t>(ws.size())});
  for (size_t i = 0; i < ws.size(); ++i) {
    if (c.wt == DType::kUInt8) wzp.data<uint8_t>()[i] = static_cast<uint8_t>(c.w_zp);
    else wzp.data<int8_t>()[i] = static_cast<int8_t>(c.w_zp);
  }
  std::vector<Tensor> in = {x, f32({0.05f}, {}), zp(c.xt, c.x_zp), w, ws.size() == 1 ? f32(ws, {}) : f32(ws), wzp,
                            f32({0.08f}, {}), zp(c.yt, c.y_zp)};
  if (c.bias) {
    Tensor b = Tensor::zeros(DType::kInt32, {M});
    std::uniform_int_distribution<int> ub(-20000, 20000);
    for (int64_t m = 0; m < M; ++m) b.data<int32_t>()[m] = ub(rng);
    in.push_back(b);
  }
  if (c.channel_mult) {  // as equalization writes them: >= 1, up to a few
    if (!c.bias) in.push_back(Tensor());
    std::uniform_real_distribution<float> um(1.0f, 4.0f);
    std::vector<float> cm(M);
    for (float& v : cm) v = um(rng);
    in.push_back(f32(cm));
  }
  auto ref = run_op(config("QLinearConv", static_cast<int>(in.size()), a), KernelChoice::kReference, in);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  if (channels_last) {
    a.set(kChannelsLastAttr, Attribute::of_int(1));
    Tensor xn = Tensor::zeros(c.xt, nchw_to_nhwc(c.x));
    ASSERT_TRUE(transpose_tensor(x, xn, {0, 2, 3, 1}, nullptr).ok());
    in[0] = xn;
  }
  std::string impl;
  auto fast = run_op(config("QLinearConv", static_cast<int>(in.size()), a), KernelChoice::kFast, in, &impl);
  ASSERT_TRUE(fast.ok()) << fast.status().to_string();
  // int8 kernels, or (without VNNI, when they could overflow) the exact float32 route.
  EXPECT_TRUE(impl == "dnnl" || impl == "dnnl-f32") << impl;
  if (float_route_forced) EXPECT_EQ(impl, "dnnl-f32");
  Tensor f = *fast;
  if (channels_last) {
    f = Tensor::zeros(fast->dtype(), ref->shape());
    ASSERT_TRUE(transpose_tensor(*fast, f, {0, 3, 1, 2}, nullptr).ok());
  }
  ASSERT_EQ(f.shape(), ref->shape());
  int64_t off = 0;
  for (int64_t i = 0; i < f.numel(); ++i) {
    const int d = static_cast<int>(f.at_int(i) - ref->at_int(i));
    EXPECT_LE(std::abs(d), 1) << "element " << i << " fast " << f.at_int(i) << " ref " << ref->at_int(i);
    off += d != 0;
    if (std::abs(d) > 1) break;
  }
  EXPECT_LE(off * 1000, f.numel()) << off << " of " << f.numel() << " elements differ";  // <= 0.1%: ties only
  // The float route computes the reference's very float values (integer sums exact, the same
  // multiplications, rounding and clamping), so without an activation (or with one it computes
  // with the reference's own function, as HardSigmoid) it is bit-exact.
  if (impl == "dnnl-f32" && (c.activation.empty() || c.activation == "HardSigmoid")) {
    EXPECT_EQ(off, 0) << "the float route rounds like the reference";
  }
}

TEST(QLinearConvFast, MatchesReferenceOnAwkwardShapes) {
  std::mt19937 rng(11);
  const DType U = DType::kUInt8, S = DType::kInt8;
  const std::vector<ConvCase> cases = {
      {{1, 3, 17, 13}, {8, 3, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}, {1, 1}, U, S, U, true, true, 128, 0, 120},
      {{2, 6, 9, 11}, {6, 1, 3, 3}, 6, {1, 0, 2, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 3, 0, 0},   // depthwise
      {{1, 8, 7, 5}, {12, 4, 1, 1}, 2, {0, 0, 0, 0}, {1, 1}, {1, 1}, S, S, S, false, false, 0, 0, -5},  // groups, s8
      {{1, 5, 12, 12}, {7, 5, 3, 3}, 1, {2, 2, 2, 2}, {1, 2}, {2, 2}, S, S, U, true, true, -10, 0, 7},  // dilation
      {{1, 4, 6, 6}, {3, 4, 2, 2}, 1, {0, 1, 1, 0}, {1, 1}, {1, 1}, U, U, S, false, true, 77, 128, 3},  // uint8 weights
      {{1, 8, 11, 9}, {6, 8, 1, 1}, 1, {0, 0, 0, 0}, {2, 2}, {1, 1}, U, S, U, true, true, 0, 0, 120},  // strided 1x1
      {{1, 16, 10, 10}, {32, 16, 3, 3}, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 0, 0, 0},
      {{1, 8, 9, 7}, {16, 8, 3, 3}, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 128, 0, 10, "Silu"},
      {{1, 8, 9, 7}, {8, 1, 3, 3}, 8, {1, 1, 1, 1}, {2, 2}, {1, 1}, U, S, S, true, true, 128, 0, -100, "Sigmoid"},
      {{1, 8, 9, 7}, {16, 8, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 0, 0, 3, "Silu"},
      // float_accumulator (Q/DQ on inputs only, as input-only quantizers write them)
      {{1, 16, 10, 10}, {32, 16, 3, 3}, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 0, 0, 100, "", true},
      {{1, 8, 9, 7}, {16, 8, 3, 3}, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 128, 0, 10, "Silu", true},
      {{1, 8, 9, 7}, {8, 1, 3, 3}, 8, {1, 1, 1, 1}, {2, 2}, {1, 1}, U, S, S, true, true, 128, 0, -100, "Sigmoid", true},
      {{2, 6, 9, 11}, {12, 6, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, S, S, U, false, true, 3, 0, 0, "HardSigmoid", true},
      // ... with a channel multiplier after the activation (an equalizing Mul taken in)
      {{1, 8, 9, 7}, {16, 8, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 0, 0, 3, "Silu", true, true},
      {{2, 6, 9, 11}, {12, 6, 3, 3}, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, false, 5, 0, 128, "", true, true},
      {{1, 8, 9, 7}, {8, 1, 3, 3}, 8, {1, 1, 1, 1}, {2, 2}, {1, 1}, S, S, S, true, true, 0, 0, -20, "HardSigmoid", true, true},
      // no padding with an x zero point: folded into the bias (with and without one, grouped, a
      // 3x3 "valid" window, and wide enough for oneDNN's AMX kernels where the CPU has them)
      {{1, 16, 9, 7}, {24, 16, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 128, 0, 10, "Silu"},
      {{1, 16, 9, 7}, {24, 16, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, false, 201, 0, 3},
      {{1, 12, 8, 8}, {12, 4, 1, 1}, 3, {0, 0, 0, 0}, {2, 2}, {1, 1}, U, S, U, true, true, 77, 0, 120, "Silu", true, true},
      {{1, 8, 11, 9}, {16, 8, 3, 3}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 255, 0, 0},
      {{1, 256, 6, 5}, {64, 256, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 128, 0, 7, "Silu"},
  };
  // Each case on the CPU's own route, then forced onto the exact float route (which VNNI CPUs
  // would otherwise never take).
  for (bool forced : {false, true}) {
    if (forced) setenv("EDGEZOO_INT8_FLOAT_ROUTE", "1", 1);
    for (size_t i = 0; i < cases.size(); ++i)
      for (bool nhwc : {false, true}) {
        SCOPED_TRACE("case " + std::to_string(i) + (nhwc ? " nhwc" : " nchw") + (forced ? " float route" : ""));
        check_fast_conv(cases[i], nhwc, forced, rng);
      }
    if (forced) unsetenv("EDGEZOO_INT8_FLOAT_ROUTE");
  }
}

}  // namespace
}  // namespace ez::ops
