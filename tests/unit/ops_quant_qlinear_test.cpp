// QLinearConv / QLinearMatMul: reference kernels on hand-computed values and error cases, and the
// oneDNN int8 QLinearConv against the reference on awkward shapes. The fast path must agree
// within one quantization step: both compute round(float(acc + B) * s_x*s_w/s_y) + z_y with the
// same float32 multiplier, but oneDNN adds the bias and the output zero point as floats around
// the scaling (float(acc) + float(B), then + z_y before rounding), which can move a value that
// sits on a rounding tie by one step. In practice nearly every element is exact (checked too).
#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ops/channels_last.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "ops/x86/cpu_features.h"

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

// QuantizeLinear's vectorised loop (16 or 8 values per step) against the plain formula (float32
// division, round half to even) on ties, both saturation ends, huge values, a subnormal and a tail
// that is not a multiple of 16; power-of-two scales (multiplied by the reciprocal) and others
// (divided); 8- and 16-bit outputs (the uint16 loop of SSE2 clamps before its signed pack).
TEST(QuantizeLinear, VectorLoopMatchesTheFormula) {
  std::mt19937 rng(41);
  // Powers of two (multiplied by the reciprocal), others (divided, or on AVX-512 CPUs multiplied
  // by the reciprocal and corrected by two FMA steps), among them significands of all ones
  // (1.99999988 * 2^-7) and 1 + 2^-23, the hardest reciprocals.
  for (float scale : {0.25f, 1.0f, 0.0078125f, 0.1f, 0.0123f, 0.0156249991f, 1.00000012f, 3.0f, 0.000731f}) {
    std::vector<float> x;
    for (int k = -700; k <= 700; ++k) {
      const float tie = 0.5f * k * scale;  // every half step: ties (exact where the product is)
      x.push_back(tie);
      x.push_back(std::nextafter(tie, 1e30f));  // and the floats either side of them
      x.push_back(std::nextafter(tie, -1e30f));
    }
    std::uniform_real_distribution<float> u(-300.0f * scale, 300.0f * scale);
    for (int k = 0; k < 4011; ++k) x.push_back(u(rng));
    // The 16-bit saturation ends for the zero points below (steps of the scale).
    for (float k : {65534.5f, 65535.5f, 65536.0f, 32766.5f, 32767.5f, -32768.5f, -32769.0f, -40000.5f, 70000.0f})
      x.push_back(k * scale);
    x.push_back(0.3f);
    // 13 special values last (8237 in all, 13 past a multiple of 16): where AVX-512 handles the
    // multiples of 16, the first 8 of them still go through the 8-value SSE2 loop of 16-bit types.
    for (float v : {1e30f, -1e30f, 3e9f, -3e9f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity(), 65535.5f * scale, 0.0f, -0.0f, 1e-40f, 32767.5f * scale,
                    -32768.5f * scale})
      x.push_back(v);
    ASSERT_EQ(x.size() % 16, 13u);
    for (DType t : {DType::kUInt8, DType::kInt8, DType::kUInt16, DType::kInt16})
      for (int zp : {0, 3, -7, 128, 1000, -30000, 40000}) {
        const double lo = t == DType::kUInt8 || t == DType::kUInt16 ? 0 : (t == DType::kInt8 ? -128 : -32768);
        const double hi = t == DType::kUInt8 ? 255 : (t == DType::kInt8 ? 127 : (t == DType::kUInt16 ? 65535 : 32767));
        if (zp < lo || zp > hi) continue;
        Tensor z = Tensor::zeros(t, {});
        if (t == DType::kUInt8) z.data<uint8_t>()[0] = static_cast<uint8_t>(zp);
        else if (t == DType::kInt8) z.data<int8_t>()[0] = static_cast<int8_t>(zp);
        else if (t == DType::kUInt16) z.data<uint16_t>()[0] = static_cast<uint16_t>(zp);
        else z.data<int16_t>()[0] = static_cast<int16_t>(zp);
        auto y = run_op(config("QuantizeLinear", 3), KernelChoice::kReference, {f32(x), f32({scale}, {}), z});
        ASSERT_TRUE(y.ok()) << y.status().to_string();
        for (size_t i = 0; i < x.size(); ++i) {
          const float d = x[i] / scale;  // NaN goes to the low end, as every form of the loop has it
          const double want = std::isnan(d) ? lo : std::min(hi, std::max(lo, std::nearbyint(static_cast<double>(d)) + zp));
          ASSERT_EQ(y->at_int(static_cast<int64_t>(i)), static_cast<int64_t>(want)) << "x=" << x[i] << " scale=" << scale << " zp=" << zp;
        }
      }
  }
}

// The same on many random scales (log-uniform over 1e-6 .. 1e3) and values near every rounding
// boundary of their range: the reciprocal-and-corrections form (AVX-512) must give the
// division's quotient in every case.
TEST(QuantizeLinear, RandomScalesRoundAsTheDivision) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> log_scale(std::log(1e-6), std::log(1e3));
  std::uniform_int_distribution<int> step(-600, 600), ulps(-3, 3);
  for (int trial = 0; trial < 200; ++trial) {
    const float scale = static_cast<float>(std::exp(log_scale(rng)));
    std::vector<float> x(4096);
    for (float& v : x) {
      v = static_cast<float>(0.5 * step(rng) * scale);  // a half step, then a few ulps either way
      for (int u = ulps(rng); u != 0; u += u > 0 ? -1 : 1) v = std::nextafter(v, u > 0 ? 1e30f : -1e30f);
    }
    auto y = run_op(config("QuantizeLinear", 3), KernelChoice::kReference, {f32(x), f32({scale}, {}), u8({128}, {})});
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::min(255.0, std::max(0.0, std::nearbyint(static_cast<double>(x[i] / scale)) + 128));
      ASSERT_EQ(y->at_int(static_cast<int64_t>(i)), static_cast<int64_t>(want)) << "x=" << x[i] << " scale=" << scale;
    }
  }
}

// A kernel prepared once with `constant` inputs known, then run on each input set in turn (the
// non-constant inputs may change between runs); every output of every run.
std::vector<std::vector<Tensor>> run_sets(const KernelConfig& cfg, KernelChoice choice, const std::vector<std::vector<Tensor>>& sets,
                                          const std::vector<bool>& constant, int outputs, std::string* impl = nullptr) {
  auto k = create_kernel(cfg, choice);
  EXPECT_TRUE(k.ok()) << k.status().to_string();
  if (!k.ok()) return {};
  const std::vector<Tensor>& first = sets[0];
  std::vector<KernelInput> kin(first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    kin[i].desc = first[i].desc();
    if (constant[i]) kin[i].value = &first[i];
  }
  std::vector<TensorDesc> descs(outputs);
  { const Status st = (*k)->infer(kin, &descs); EXPECT_TRUE(st.ok()) << st.to_string(); }
  EXPECT_TRUE((*k)->prepare(kin).ok());
  if (impl) *impl = (*k)->impl_name();
  ThreadPool pool(2);
  std::vector<std::vector<Tensor>> results;
  for (const std::vector<Tensor>& in : sets) {
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : in) ptrs.push_back(&t);
    std::vector<Tensor> outs;
    for (const TensorDesc& d : descs) outs.push_back(Tensor::zeros(d.dtype, d.shape));
    { const Status st = (*k)->run(ptrs, outs, RunContext{&pool}); EXPECT_TRUE(st.ok()) << st.to_string(); }
    results.push_back(outs);
  }
  return results;
}

// DynamicQuantizeLinear (range and quantization split over the pool, laned min/max) against the
// specification's formula, on tensors long enough to be split, each range shape: mixed signs,
// positive only, negative only, all zeros, and values on rounding ties.
TEST(DynamicQuantizeLinear, ThreadedLanedKernelMatchesTheFormula) {
  std::mt19937 rng(31);
  const int64_t n = 200003;  // several chunks, a ragged tail
  for (int shape = 0; shape < 5; ++shape) {
    std::vector<float> x(n);
    std::uniform_real_distribution<float> u(-3.0f, 5.0f);
    for (float& v : x) v = u(rng);
    if (shape == 1) for (float& v : x) v = std::fabs(v);
    if (shape == 2) for (float& v : x) v = -std::fabs(v);
    if (shape == 3) std::fill(x.begin(), x.end(), 0.0f);
    if (shape == 4) for (int64_t i = 0; i < n; ++i) x[i] = (static_cast<float>(i % 511) - 255.0f) * 0.5f;  // +-127.5: steps of 1, ties
    auto r = run_sets(config("DynamicQuantizeLinear", 1), KernelChoice::kReference, {{f32(x)}}, {false}, 3);
    ASSERT_EQ(r.size(), 1u);
    float lo = 0, hi = 0;
    for (float v : x) lo = std::min(lo, v), hi = std::max(hi, v);
    const float scale = (hi - lo) / 255.0f;
    const float zp = scale == 0 ? 0.0f : std::nearbyint(std::max(0.0f, std::min(255.0f, -lo / scale)));
    EXPECT_EQ(r[0][1].data<float>()[0], scale) << "shape " << shape;
    EXPECT_EQ(r[0][2].data<uint8_t>()[0], static_cast<uint8_t>(zp)) << "shape " << shape;
    for (int64_t i = 0; i < n; ++i) {
      const float want = scale == 0 ? zp : std::min(255.0f, std::max(0.0f, std::nearbyint(x[i] / scale) + zp));
      ASSERT_EQ(r[0][0].data<uint8_t>()[i], static_cast<uint8_t>(want)) << "shape " << shape << " x=" << x[i];
    }
  }
}

// oneDNN's ConvInteger against the reference, bit for bit: padded windows (run-time zero-point
// attribute) and unpadded ones (zero point folded into a bias), uint8 weights with zero point 128
// and with any other (the window-sum correction), per-channel zero points, int8 activations, a
// zero point that changes between runs (as DynamicQuantizeLinear's does), groups, and sums far
// beyond 2^24 (K = 2304, x = 255, w = 127).
TEST(ConvIntegerFast, MatchesReferenceAndFollowsTheRuntimeZeroPoint) {
  std::mt19937 rng(37);
  struct Case {
    Shape x, w;
    int64_t group;
    std::vector<int64_t> pads;
    DType xt, wt;
    std::vector<int> w_zp;  // empty: none
    bool saturated = false;  // x and w at their largest: huge sums
  } cases[] = {
      {{1, 8, 9, 7}, {16, 8, 3, 3}, 1, {1, 1, 1, 1}, DType::kUInt8, DType::kUInt8, {128}},
      {{1, 8, 9, 7}, {16, 8, 1, 1}, 1, {0, 0, 0, 0}, DType::kUInt8, DType::kUInt8, {128}},
      {{2, 6, 10, 6}, {12, 3, 3, 3}, 2, {0, 0, 0, 0}, DType::kUInt8, DType::kInt8, {}},
      {{1, 4, 6, 6}, {5, 4, 3, 3}, 1, {1, 0, 2, 1}, DType::kInt8, DType::kInt8, {0, 1, -2, 3, 0}},
      {{1, 256, 5, 5}, {8, 256, 3, 3}, 1, {0, 0, 0, 0}, DType::kUInt8, DType::kInt8, {}, true},
      // uint8 weights with their own zero point (ONNX Runtime's dynamic quantization): packed as
      // w - 128 plus the window-sum correction; padded and not, grouped, depthwise, per channel
      {{1, 8, 9, 7}, {16, 8, 3, 3}, 1, {1, 1, 1, 1}, DType::kUInt8, DType::kUInt8, {101}},
      {{2, 16, 6, 5}, {24, 16, 1, 1}, 1, {0, 0, 0, 0}, DType::kUInt8, DType::kUInt8, {37}},
      {{1, 12, 8, 8}, {12, 4, 3, 3}, 3, {1, 1, 1, 1}, DType::kUInt8, DType::kUInt8, {200, 10, 128, 0, 77, 130, 129, 1, 255, 64, 90, 140}},
      {{1, 16, 7, 9}, {16, 1, 3, 3}, 16, {0, 0, 0, 0}, DType::kUInt8, DType::kUInt8, {90}},
      {{1, 6, 7, 7}, {8, 6, 3, 3}, 1, {2, 1, 0, 1}, DType::kInt8, DType::kUInt8, {3}},
  };
  for (size_t ci = 0; ci < std::size(cases); ++ci) {
    const Case& c = cases[ci];
    SCOPED_TRACE("case " + std::to_string(ci));
    Attributes a;
    a.set("group", Attribute::of_int(c.group));
    a.set("pads", Attribute::of_ints(c.pads));
    Tensor w = random_q(c.wt, c.w, rng);
    Tensor x1 = random_q(c.xt, c.x, rng), x2 = random_q(c.xt, c.x, rng);
    if (c.wt == DType::kInt8 && c.w_zp.size() > 1)  // w - w_zp must stay within int8 for the fast path
      for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(std::max(-120, std::min(120, int(w.data<int8_t>()[i]))));
    if (c.saturated) {
      for (int64_t i = 0; i < x1.numel(); ++i) x1.data<uint8_t>()[i] = x2.data<uint8_t>()[i] = 255;
      for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = 127;
    }
    Tensor wzp;
    if (!c.w_zp.empty()) {
      wzp = Tensor::zeros(c.wt, {static_cast<int64_t>(c.w_zp.size())});
      for (size_t i = 0; i < c.w_zp.size(); ++i) {
        if (c.wt == DType::kUInt8) wzp.data<uint8_t>()[i] = static_cast<uint8_t>(c.w_zp[i]);
        else wzp.data<int8_t>()[i] = static_cast<int8_t>(c.w_zp[i]);
      }
    } else {
      wzp = c.wt == DType::kUInt8 ? u8({0}, {}) : s8({0}, {});
    }
    auto zp = [&](int v) { return c.xt == DType::kUInt8 ? u8({static_cast<uint8_t>(v)}, {}) : s8({static_cast<int8_t>(v)}, {}); };
    const int z1 = c.saturated ? 0 : (c.xt == DType::kUInt8 ? 131 : -5), z2 = c.xt == DType::kUInt8 ? 7 : 12;
    // Two runs with different data and zero points, then the first again.
    const std::vector<std::vector<Tensor>> sets = {{x1, w, zp(z1), wzp}, {x2, w, zp(z2), wzp}, {x1, w, zp(z1), wzp}};
    const std::vector<bool> constant = {false, true, false, true};
    const KernelConfig cfg = config("ConvInteger", 4, a);
    std::string impl;
    auto fast = run_sets(cfg, KernelChoice::kFast, sets, constant, 1, &impl);
    auto ref = run_sets(cfg, KernelChoice::kReference, sets, constant, 1);
    EXPECT_EQ(impl, "dnnl");
    ASSERT_EQ(fast.size(), 3u);
    ASSERT_EQ(ref.size(), 3u);
    for (size_t r = 0; r < 3; ++r) {
      ASSERT_EQ(fast[r][0].shape(), ref[r][0].shape());
      int64_t largest = 0;
      for (int64_t i = 0; i < ref[r][0].numel(); ++i) largest = std::max<int64_t>(largest, std::abs(ref[r][0].data<int32_t>()[i]));
      if (c.saturated) {
        EXPECT_GT(largest, int64_t(1) << 24) << "the case must reach beyond float's exact integers";
      }
      EXPECT_EQ(std::memcmp(fast[r][0].raw(), ref[r][0].raw(), ref[r][0].nbytes()), 0) << "run " << r;
    }
    // The internal form that takes in ONNX Runtime's Cast -> Mul(scale) -> Add(bias): float(acc) *
    // s + bias[m], with and without the bias, NCHW and (fast kernel) NHWC, equal bit for bit to
    // those float operations on the int32 result above.
    const int64_t M = c.w[0];
    Tensor bias = Tensor::zeros(DType::kFloat32, {M});
    for (int64_t m = 0; m < M; ++m) bias.data<float>()[m] = 0.37f * static_cast<float>(m) - 1.5f;
    const Tensor scale = f32({0.00123f}, {});
    for (bool with_bias : {false, true})
      for (bool nhwc : {false, true}) {
        SCOPED_TRACE(std::string("output_float") + (with_bias ? " + bias" : "") + (nhwc ? " nhwc" : ""));
        Attributes af = a;
        af.set("output_float", Attribute::of_int(1));
        if (nhwc) af.set(kChannelsLastAttr, Attribute::of_int(1));
        auto to_nhwc = [&](const Tensor& t) {
          Tensor o = Tensor::zeros(t.dtype(), nchw_to_nhwc(t.shape()));
          EXPECT_TRUE(transpose_tensor(t, o, {0, 2, 3, 1}, nullptr).ok());
          return o;
        };
        std::vector<std::vector<Tensor>> fsets;
        for (const auto& set : sets) {
          std::vector<Tensor> in = set;
          if (nhwc) in[0] = to_nhwc(in[0]);
          in.push_back(scale);
          if (with_bias) in.push_back(bias);
          fsets.push_back(in);
        }
        std::vector<bool> fconst = constant;
        fconst.push_back(false);
        if (with_bias) fconst.push_back(true);
        const KernelConfig fcfg = config("ConvInteger", with_bias ? 6 : 5, af);
        std::string fimpl;
        auto ffast = run_sets(fcfg, KernelChoice::kFast, fsets, fconst, 1, &fimpl);
        EXPECT_EQ(fimpl, "dnnl");
        ASSERT_EQ(ffast.size(), 3u);
        std::vector<std::vector<Tensor>> fref;
        if (!nhwc) {
          fref = run_sets(fcfg, KernelChoice::kReference, fsets, fconst, 1);
          ASSERT_EQ(fref.size(), 3u);
        }
        for (size_t r = 0; r < 3; ++r) {
          Tensor want = Tensor::zeros(DType::kFloat32, ref[r][0].shape());
          const int64_t spatial = want.numel() / (want.dim(0) * M);
          for (int64_t i = 0; i < want.numel(); ++i) {
            const float v = static_cast<float>(ref[r][0].data<int32_t>()[i]) * 0.00123f;
            want.data<float>()[i] = with_bias ? v + bias.data<float>()[(i / spatial) % M] : v;
          }
          if (nhwc) want = to_nhwc(want);
          ASSERT_EQ(ffast[r][0].shape(), want.shape());
          EXPECT_EQ(std::memcmp(ffast[r][0].raw(), want.raw(), want.nbytes()), 0) << "fast, run " << r;
          if (!nhwc) {
            EXPECT_EQ(std::memcmp(fref[r][0].raw(), want.raw(), want.nbytes()), 0) << "reference, run " << r;
          }
        }
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
  bool output_float = false;    // with float_acc: the float result itself (output_float=1)
};

// float_route_forced: EDGEZOO_INT8_FLOAT_ROUTE=1 is set, so the exact float route must be taken.
// expect_impl: the implementation the fast kernel must have chosen (empty: oneDNN's, either route).
void check_fast_conv(const ConvCase& c, bool channels_last, bool float_route_forced, std::mt19937& rng,
                     const std::string& expect_impl = "") {
  const int64_t M = c.w[0];
  Attributes a;
  a.set("group", Attribute::of_int(c.group));
  a.set("pads", Attribute::of_ints(c.pads));
  a.set("strides", Attribute::of_ints(c.strides));
  a.set("dilations", Attribute::of_ints(c.dilations));
  if (c.float_acc) a.set("float_accumulator", Attribute::of_int(1));
  if (c.output_float) a.set("output_float", Attribute::of_int(1));
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
  // int8 kernels, or (without VNNI, when they could overflow) the exact float32 route; or the
  // hand-written kernel the case was made for.
  if (expect_impl.empty()) {
    EXPECT_TRUE(impl == "dnnl" || impl == "dnnl-f32") << impl;
  } else {
    EXPECT_EQ(impl, expect_impl);
  }
  if (float_route_forced) {
    EXPECT_EQ(impl, "dnnl-f32");
  }
  Tensor f = *fast;
  if (channels_last) {
    f = Tensor::zeros(fast->dtype(), ref->shape());
    ASSERT_TRUE(transpose_tensor(*fast, f, {0, 3, 1, 2}, nullptr).ok());
  }
  ASSERT_EQ(f.shape(), ref->shape());
  if (c.output_float) {  // v = float(sum + B) * s_x*s_w exactly; the activation to ~2e-7 relative
    for (int64_t i = 0; i < f.numel(); ++i) {
      const float want = ref->data<float>()[i], got = f.data<float>()[i];
      if (c.activation.empty()) {
        ASSERT_EQ(got, want) << "element " << i;
      } else {
        ASSERT_NEAR(got, want, 2e-6f * std::max(1.0f, std::abs(want))) << "element " << i;
      }
    }
    return;
  }
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
  // would otherwise never take). oneDNN's kernels throughout: edgezoo's own int8 kernels, which
  // would take some of these cases, are checked below.
  setenv("EDGEZOO_DW_INT8", "0", 1);
  setenv("EDGEZOO_CONV_INT8", "0", 1);
  for (bool forced : {false, true}) {
    if (forced) setenv("EDGEZOO_INT8_FLOAT_ROUTE", "1", 1);
    for (size_t i = 0; i < cases.size(); ++i)
      for (bool nhwc : {false, true}) {
        SCOPED_TRACE("case " + std::to_string(i) + (nhwc ? " nhwc" : " nchw") + (forced ? " float route" : ""));
        check_fast_conv(cases[i], nhwc, forced, rng);
      }
    if (forced) unsetenv("EDGEZOO_INT8_FLOAT_ROUTE");
  }
  unsetenv("EDGEZOO_DW_INT8");
  unsetenv("EDGEZOO_CONV_INT8");
}

// edgezoo's own int8 kernels (ops/x86/depthwise_int8.h on AVX-512, ops/x86/conv_int8.h on
// AVX-512 VNNI) against the reference, on shapes that exercise their edges: channel blocks and
// tails, rows that are not a multiple of the tile, both strides, one-sided padding, both 8-bit
// types, activations, channel multipliers, float outputs, two images. Where the CPU lacks the ISA
// the same cases must run on oneDNN instead. (Every dense case has fewer than 128 products per
// output, below which AMX CPUs keep them too: see prepare_conv_int8.)
TEST(QLinearConvHandKernels, MatchReferenceAndAreChosen) {
  std::mt19937 rng(23);
  const DType U = DType::kUInt8, S = DType::kInt8;
  const bool dw_isa = x86::has_avx512f(), vnni_isa = x86::has_avx512_vnni();
  struct Case {
    ConvCase c;
    bool depthwise;
  };
  const std::vector<Case> cases = {
      {{{1, 16, 9, 11}, {16, 1, 3, 3}, 16, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 30, 0, 10, "Silu", true}, true},
      {{{2, 32, 8, 7}, {32, 1, 3, 3}, 32, {1, 1, 1, 1}, {2, 2}, {1, 1}, U, S, U, true, true, 128, 0, 0, "", true}, true},
      {{{1, 48, 10, 9}, {48, 1, 3, 3}, 48, {0, 0, 1, 1}, {2, 2}, {1, 1}, S, S, S, true, false, -3, 0, -7, "Relu", true}, true},
      {{{1, 16, 6, 13}, {16, 1, 3, 3}, 16, {1, 0, 0, 1}, {1, 1}, {1, 1}, U, S, S, false, true, 200, 0, 5, "HardSwish", true, true}, true},
      {{{1, 64, 7, 5}, {64, 1, 3, 3}, 64, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 0, 0, 255, "Sigmoid", true, true}, true},
      {{{1, 16, 5, 6}, {16, 1, 3, 3}, 16, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 77, 0, 1, "LeakyRelu", true}, true},
      {{{1, 64, 9, 7}, {64, 64, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 30, 0, 10, "Silu", true}, false},
      {{{2, 32, 5, 7}, {48, 32, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, S, true, false, 128, 0, -3, "", true}, false},
      {{{1, 8, 11, 3}, {20, 8, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 255, 0, 128, "Relu", true, true}, false},
      {{{1, 64, 13, 13}, {80, 64, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 12, 0, 0, "Sigmoid", true, false, true}, false},
      {{{1, 64, 4, 9}, {4, 64, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 12, 0, 0, "", true, false, true}, false},
      {{{1, 16, 6, 6}, {1, 16, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, false, true, 99, 0, 0, "Silu", true, false, true}, false},
      {{{1, 4, 17, 1}, {128, 4, 1, 1}, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, U, S, U, true, true, 1, 0, 100, "Sigmoid", true}, false},
      // dense windows over the padded copy: a Focus stem (12 channels), stride 2 with two images,
      // one-sided pads and strides that differ, a 5x3 window, a strided 1x1
      {{{1, 12, 21, 19}, {16, 12, 3, 3}, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, U, S, U, true, true, 30, 0, 10, "Silu", true}, false},
      {{{2, 4, 17, 22}, {16, 4, 3, 3}, 1, {1, 1, 1, 1}, {2, 2}, {1, 1}, U, S, S, true, true, 128, 0, -3, "Silu", true}, false},
      {{{1, 8, 9, 10}, {20, 8, 3, 3}, 1, {0, 1, 2, 0}, {2, 1}, {1, 1}, U, S, U, true, false, 77, 0, 128, "Relu", true, true}, false},
      {{{1, 8, 8, 11}, {7, 8, 5, 3}, 1, {2, 1, 2, 1}, {1, 1}, {1, 1}, U, S, U, false, true, 255, 0, 0, "", true, false, true}, false},
      {{{1, 16, 9, 9}, {24, 16, 1, 1}, 1, {0, 0, 0, 0}, {2, 2}, {1, 1}, U, S, U, true, true, 9, 0, 5, "HardSwish", true}, false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const bool hand = cases[i].depthwise ? dw_isa : vnni_isa;
    check_fast_conv(cases[i].c, true, false, rng, hand ? (cases[i].depthwise ? "avx512-dw" : "vnni-conv") : "");
  }
}

// Extra outputs (the float result quantized again, passes/fuse_conv_output_quantize): on every
// route -- reference, edgezoo's VNNI kernel (1x1 in place, 3x3 over the padded copy), oneDNN's
// int8 and exact-float routes -- each extra output equals QuantizeLinear (reference) applied to
// the same kernel's own float output (times the channel multiplier, for the second), bit for
// bit, and the float output is the one a plain float-output QLinearConv gives.
TEST(QLinearConvExtraOutputs, EqualQuantizeLinearOfTheFloatResult) {
  std::mt19937 rng(29);
  struct Case {
    Shape x, w;
    std::vector<int64_t> pads;
    std::string act;
  };
  const std::vector<Case> cases = {{{1, 16, 9, 7}, {24, 16, 1, 1}, {0, 0, 0, 0}, "Silu"},
                                   {{2, 8, 6, 5}, {20, 8, 3, 3}, {1, 1, 1, 1}, ""},
                                   {{1, 12, 5, 9}, {16, 12, 3, 3}, {1, 0, 0, 1}, "Relu"}};
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"", ""}, {"EDGEZOO_CONV_INT8", "0"}, {"EDGEZOO_INT8_FLOAT_ROUTE", "1"}};
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    const int64_t M = c.w[0];
    Attributes a;
    a.set("pads", Attribute::of_ints(c.pads));
    a.set("float_accumulator", Attribute::of_int(1));
    a.set("output_float", Attribute::of_int(1));
    a.set(kChannelsLastAttr, Attribute::of_int(1));
    if (!c.act.empty()) {
      Attribute name;
      name.kind = Attribute::Kind::kString;
      name.s = c.act;
      a.set("activation", name);
    }
    Tensor x = random_q(DType::kUInt8, nchw_to_nhwc(c.x), rng), w = random_q(DType::kInt8, c.w, rng);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(w.data<int8_t>()[i] / 2);
    std::vector<float> ws(M);
    std::uniform_real_distribution<float> us(0.002f, 0.02f);
    for (float& v : ws) v = us(rng);
    Tensor b = Tensor::zeros(DType::kInt32, {M});
    for (int64_t m = 0; m < M; ++m) b.data<int32_t>()[m] = static_cast<int32_t>(m * 37 - 300);
    // Plain float output, then the same with two extra outputs (uint8 and int8).
    std::vector<Tensor> in = {x, f32({0.05f}, {}), u8({30}, {}), w, f32(ws), s8(std::vector<int8_t>(M, 0), {M}), f32({1.0f}, {}), u8({0}, {}), b};
    const std::vector<Tensor> plain_in = in;
    in.push_back(Tensor());
    std::vector<float> cm(M);  // the second extra output's channel multiplier (equalization: >= 1)
    std::uniform_real_distribution<float> um(1.0f, 3.0f);
    for (float& v : cm) v = um(rng);
    for (const Tensor& t : {f32({0.07f}, {}), u8({100}, {}), Tensor(), f32({0.031f}, {}), s8({-5}, {}), f32(cm)}) in.push_back(t);
    std::vector<bool> constant(in.size(), true), plain_constant(plain_in.size(), true);
    constant[0] = plain_constant[0] = false;
    for (const auto& [var, value] : routes) {
      for (KernelChoice choice : {KernelChoice::kReference, KernelChoice::kFast}) {
        if (choice == KernelChoice::kReference && !var.empty()) continue;
        SCOPED_TRACE("case " + std::to_string(ci) + (choice == KernelChoice::kFast ? " fast " + var : " reference"));
        if (!var.empty()) setenv(var.c_str(), value.c_str(), 1);
        KernelConfig cfg = config("QLinearConv", static_cast<int>(in.size()), a);
        cfg.num_outputs = 3;
        std::string impl;
        auto outs = run_sets(cfg, choice, {in}, constant, 3, &impl);
        auto plain = run_sets(config("QLinearConv", static_cast<int>(plain_in.size()), a), choice, {plain_in}, plain_constant, 1);
        if (!var.empty()) unsetenv(var.c_str());
        if (choice == KernelChoice::kFast) {  // each route really ran
          const std::string want = var == "EDGEZOO_INT8_FLOAT_ROUTE" ? "dnnl-f32" : var.empty() && x86::has_avx512_vnni() ? "vnni-conv" : "";
          if (!want.empty()) {
            EXPECT_EQ(impl, want);
          } else {
            EXPECT_TRUE(impl == "dnnl" || impl == "dnnl-f32") << impl;
          }
        }
        ASSERT_EQ(outs.size(), 1u);
        ASSERT_EQ(plain.size(), 1u);
        const Tensor& v = outs[0][0];
        ASSERT_EQ(v.nbytes(), plain[0][0].nbytes());
        EXPECT_EQ(std::memcmp(v.raw(), plain[0][0].raw(), v.nbytes()), 0) << impl << ": the float output changed";
        for (int k = 0; k < 2; ++k) {
          const Tensor& z = outs[0][1 + k];
          Tensor scaled = v;  // the Mul node's product (NHWC: channel last), for the second
          if (k == 1) {
            scaled = Tensor::zeros(DType::kFloat32, v.shape());
            for (int64_t i = 0; i < v.numel(); ++i) scaled.data<float>()[i] = v.data<float>()[i] * cm[i % M];
          }
          auto want = run_op(config("QuantizeLinear", 3), KernelChoice::kReference, {scaled, in[10 + 3 * k], in[11 + 3 * k]});
          ASSERT_TRUE(want.ok()) << want.status().to_string();
          ASSERT_EQ(z.dtype(), want->dtype());
          ASSERT_EQ(z.shape(), v.shape());
          EXPECT_EQ(std::memcmp(z.raw(), want->raw(), z.nbytes()), 0) << impl << ": extra output " << k;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ez::ops
