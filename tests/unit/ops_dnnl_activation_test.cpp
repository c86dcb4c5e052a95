// oneDNN Softmax/LogSoftmax and unary activations against the reference kernels: every axis
// (negative too, the legacy coerce-to-2-D mode of opset < 13), odd shapes, rank 1..5, and inputs
// wide enough to reach the saturated ends of each function. Tolerance: max |fast - ref| <= 1e-5 *
// max(max |ref|, 1): the reference evaluates exp/tanh in libm (softmax sums in double), oneDNN uses
// fp32 polynomial approximations accurate to a few ulps, so the outputs differ only in the last
// bits. Outputs that are all smaller than 1 are held to an absolute 1e-5: oneDNN computes softplus
// as log(1 + e^x) and log-softmax over a length-1 axis as log(1), whose fp32 rounding at 1 (1.2e-7)
// is large relative to a result near 0, though tiny in absolute terms.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/registry.h"

namespace ez::ops {
namespace {

Attribute int_attr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}
Attribute float_attr(float v) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = v;
  return a;
}

Tensor random_tensor(Shape s, float range, std::mt19937& rng) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(s));
  std::uniform_real_distribution<float> u(-range, range);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

struct Ran {
  Tensor out;
  std::string impl;
};

Ran run_op(const KernelConfig& cfg, KernelChoice choice, const Tensor& x) {
  auto k = create_kernel(cfg, choice);
  EXPECT_TRUE(k.ok()) << k.status().to_string();
  if (!k.ok()) return {};
  std::vector<KernelInput> kin(1);
  kin[0].desc = x.desc();
  std::vector<TensorDesc> descs(1);
  Status s = (*k)->infer(kin, &descs);
  if (s.ok()) s = (*k)->prepare(kin);
  EXPECT_TRUE(s.ok()) << s.to_string();
  if (!s.ok()) return {};
  std::vector<Tensor> outs = {Tensor::zeros(descs[0].dtype, descs[0].shape)};
  ThreadPool pool(2);
  for (int run = 0; run < 2; ++run) {  // a second run reuses the primitive and its scratch buffer
    s = (*k)->run({&x}, outs, RunContext{&pool});
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return {outs[0], (*k)->impl_name()};
}

void compare(const KernelConfig& cfg, const Tensor& x, const std::string& what) {
  Ran ref = run_op(cfg, KernelChoice::kReference, x), fast = run_op(cfg, KernelChoice::kFast, x);
  ASSERT_FALSE(ref.out.empty() || fast.out.empty()) << what;
  EXPECT_EQ(fast.impl, "dnnl") << what;
  ASSERT_EQ(ref.out.shape(), fast.out.shape()) << what;
  double max_ref = 0, max_diff = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    max_ref = std::max(max_ref, std::fabs(double(ref.out.data<float>()[i])));
    max_diff = std::max(max_diff, std::fabs(double(ref.out.data<float>()[i]) - fast.out.data<float>()[i]));
  }
  EXPECT_LE(max_diff, 1e-5 * std::max(max_ref, 1.0)) << what << ": max diff " << max_diff << " of max " << max_ref;
}

TEST(OpsDnnlSoftmax, EveryAxisOpsetAndShape) {
  std::mt19937 rng(21);
  const std::vector<Shape> shapes = {{37}, {3, 17}, {1, 16, 4, 85}, {2, 5, 7, 3}, {2, 3, 4, 5, 6}, {1, 1000}};
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (int opset : {11, 13})
      for (const Shape& s : shapes)
        for (int64_t axis = -static_cast<int64_t>(s.size()); axis < static_cast<int64_t>(s.size()); ++axis) {
          KernelConfig cfg;
          cfg.op_type = op;
          cfg.opset = opset;
          cfg.num_inputs = 1;
          cfg.attrs.set("axis", int_attr(axis));
          // Logits up to +-20: exp spans 17 orders of magnitude, so max subtraction matters.
          compare(cfg, random_tensor(s, 20.0f, rng),
                  std::string(op) + " opset " + std::to_string(opset) + " " + shape_to_string(s) + " axis " +
                      std::to_string(axis));
        }
}

TEST(OpsDnnlSoftmax, DefaultAxis) {
  std::mt19937 rng(22);
  for (int opset : {11, 13}) {  // default axis is 1 before opset 13, -1 from 13 on
    KernelConfig cfg;
    cfg.op_type = "Softmax";
    cfg.opset = opset;
    cfg.num_inputs = 1;
    compare(cfg, random_tensor({2, 3, 5}, 5.0f, rng), "Softmax default axis, opset " + std::to_string(opset));
  }
}

TEST(OpsDnnlEltwise, EveryActivationOnOddShapes) {
  std::mt19937 rng(23);
  struct Case {
    const char* op;
    float alpha;  // < 0: attribute left at its default
  } cases[] = {{"Relu", -1}, {"LeakyRelu", -1}, {"LeakyRelu", 0.3f}, {"Sigmoid", -1}, {"Tanh", -1}, {"Elu", -1},
               {"Elu", 0.7f}, {"HardSwish", -1}, {"Exp", -1}, {"Softplus", -1}, {"Mish", -1}, {"Silu", -1}};
  const std::vector<Shape> shapes = {{1}, {17}, {3, 5, 7}, {1, 80, 8400}, {2, 3, 11, 13, 5}};
  for (const Case& c : cases)
    for (const Shape& s : shapes) {
      KernelConfig cfg;
      cfg.op_type = c.op;
      cfg.num_inputs = 1;
      if (c.alpha >= 0) cfg.attrs.set("alpha", float_attr(c.alpha));
      // Exp over +-10 keeps every output's error meaningful next to the max; the others see +-12
      // to cover both saturated tails of sigmoid/tanh/softplus.
      const float range = std::string(c.op) == "Exp" ? 10.0f : 12.0f;
      compare(cfg, random_tensor(s, range, rng), std::string(c.op) + " alpha " + std::to_string(c.alpha) + " " + shape_to_string(s));
    }
}

TEST(OpsDnnlEltwise, NonFloatInputsUseTheReferenceKernel) {
  KernelConfig cfg;
  cfg.op_type = "Relu";
  cfg.num_inputs = 1;
  Tensor x = Tensor::zeros(DType::kInt32, {4});
  for (int i = 0; i < 4; ++i) x.data<int32_t>()[i] = i - 2;
  Ran r = run_op(cfg, KernelChoice::kFast, x);
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.impl, "ref");
  EXPECT_EQ(r.out.data<int32_t>()[0], 0);
  EXPECT_EQ(r.out.data<int32_t>()[3], 1);
}

}  // namespace
}  // namespace ez::ops
