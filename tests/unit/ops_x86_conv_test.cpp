// edgezoo's hand-written AVX2 convolutions (the Conv/FusedConv fast path for NHWC: Winograd
// F(4x4, 3x3) for 3x3 stride 1, the fused-epilogue GEMM for 1x1 stride 1) against the reference
// convolution on awkward shapes: channel counts that are not multiples of the SIMD blocks,
// images that are not multiples of the 4x4 tile or of the 6-row GEMM tile, asymmetric and zero
// padding, batches, every epilogue activation, residuals added before or after it, in place or
// not.
//
// Tolerance: max |fast - ref| <= 1e-5 * scale, scale = max(max |ref|, 4 sigma), where sigma =
// sqrt(k^2 C) / 3 is the standard deviation of the convolution sum of k^2 C products of two U(-1, 1)
// values, so 4 sigma is about the largest pre-activation (for Sigmoid, Clip and HardSigmoid the
// outputs are bounded but the rounding happened before the activation, at that magnitude). The
// transforms multiply by up to 5 (B^T) and 8 (A^T) and their sums cancel, so the fp32 error is
// larger than a direct convolution's: measured at 2e-6..7e-6 of the scale here. A wrong tap, a
// missing bias or a shifted tile is an error of order 1e-1 of the scale. The 1x1 GEMM only sums
// in another order (and its sigmoid uses a refined reciprocal): well inside the same bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include <dnnl.hpp>

#include "ops/channels_last.h"
#include "ops/registry.h"
#include "ops/dnnl/conv_choice.h"

namespace ez::ops {
namespace {

Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute one_int(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}
Attribute str(const std::string& s) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = s;
  return a;
}
Attribute flt(float f) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = f;
  return a;
}

Tensor random_tensor(Shape s, std::mt19937& rng) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(s));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// NCHW <-> NHWC copies.
Tensor permute(const Tensor& x, bool to_nhwc) {
  const Shape& s = x.shape();
  Tensor y = Tensor::zeros(DType::kFloat32, to_nhwc ? nchw_to_nhwc(s) : nhwc_to_nchw(s));
  const Shape nchw = to_nhwc ? s : nhwc_to_nchw(s);
  const int64_t N = nchw[0], C = nchw[1], H = nchw[2], W = nchw[3];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const int64_t a = ((n * C + c) * H + h) * W + w, b = ((n * H + h) * W + w) * C + c;
          if (to_nhwc) y.data<float>()[b] = x.data<float>()[a];
          else y.data<float>()[a] = x.data<float>()[b];
        }
  return y;
}

struct Case {
  int64_t k;  // kernel size: 3 (Winograd) or 1 (GEMM)
  int64_t n, c, h, w, m;
  std::vector<int64_t> pads;  // top, left, bottom, right
  const char* act;
  int residual;  // 0 none, 1 added after the activation, 2 before it
  bool bias, in_place;
};

// Runs the case through the reference (NCHW) and the fast kernel (NHWC); returns the fast
// kernel's implementation name.
std::string run_case(const Case& cc, std::mt19937& rng, double* max_ref, double* max_diff) {
  KernelConfig cfg;
  cfg.op_type = "FusedConv";
  cfg.attrs.set("kernel_shape", ints({cc.k, cc.k}));
  cfg.attrs.set("pads", ints({cc.pads[0], cc.pads[1], cc.pads[2], cc.pads[3]}));
  cfg.attrs.set("activation", str(cc.act));
  cfg.attrs.set("activation_alpha", flt(std::string(cc.act) == "Clip" ? -0.5f : 0.2f));
  cfg.attrs.set("activation_beta", flt(std::string(cc.act) == "Clip" ? 2.0f : 0.5f));
  cfg.attrs.set("sum_first", one_int(cc.residual == 2));
  const int64_t oh = cc.h + cc.pads[0] + cc.pads[2] - cc.k + 1, ow = cc.w + cc.pads[1] + cc.pads[3] - cc.k + 1;
  std::vector<Tensor> in = {random_tensor({cc.n, cc.c, cc.h, cc.w}, rng), random_tensor({cc.m, cc.c, cc.k, cc.k}, rng)};
  in.push_back(cc.bias ? random_tensor({cc.m}, rng) : Tensor());
  if (cc.residual) in.push_back(random_tensor({cc.n, cc.m, oh, ow}, rng));
  cfg.num_inputs = static_cast<int>(in.size());

  auto run = [&](KernelChoice choice, const std::vector<Tensor>& inputs, bool in_place, std::string* impl) -> Tensor {
    KernelConfig c = cfg;
    if (choice == KernelChoice::kFast) c.attrs.set(kChannelsLastAttr, one_int(1));
    auto k = create_kernel(c, choice);
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    std::vector<KernelInput> kin(inputs.size());
    std::vector<const Tensor*> ptrs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (i == 2 && !cc.bias) {
        ptrs.push_back(nullptr);
        continue;
      }
      kin[i].desc = inputs[i].desc();
      if (i == 1 || i == 2) kin[i].value = &inputs[i];
      ptrs.push_back(&inputs[i]);
    }
    std::vector<TensorDesc> out(1);
    EXPECT_TRUE((*k)->infer(kin, &out).ok());
    EXPECT_TRUE((*k)->prepare(kin).ok());
    Tensor y = in_place ? inputs[3] : Tensor::zeros(out[0].dtype, out[0].shape);
    std::vector<Tensor> outs = {y};
    ThreadPool pool(2);
    EXPECT_TRUE((*k)->run(ptrs, outs, RunContext{&pool}).ok());
    if (impl) *impl = (*k)->impl_name();
    return outs[0];
  };

  std::vector<Tensor> ref_in = in;
  if (cc.residual) ref_in[3] = permute(permute(in[3], true), false);  // a copy: in place may write over it
  const Tensor ref = run(KernelChoice::kReference, ref_in, false, nullptr);
  std::vector<Tensor> fast_in = in;
  fast_in[0] = permute(in[0], true);
  if (cc.residual) fast_in[3] = permute(in[3], true);
  std::string impl;
  const Tensor fast = permute(run(KernelChoice::kFast, fast_in, cc.in_place && cc.residual, &impl), false);
  EXPECT_EQ(ref.shape(), fast.shape());
  *max_ref = *max_diff = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    *max_ref = std::max(*max_ref, std::fabs(double(ref.data<float>()[i])));
    *max_diff = std::max(*max_diff, std::fabs(double(ref.data<float>()[i]) - fast.data<float>()[i]));
  }
  return impl;
}

void expect_matches(const Case& cc, std::mt19937& rng, const char* want_impl) {
  double max_ref = 0, max_diff = 0;
  const std::string impl = run_case(cc, rng, &max_ref, &max_diff);
  const std::string what = std::to_string(cc.k) + "x" + std::to_string(cc.k) + " c" + std::to_string(cc.c) + " m" +
                           std::to_string(cc.m) + " " + std::to_string(cc.h) + "x" + std::to_string(cc.w) + " " + cc.act +
                           " residual " + std::to_string(cc.residual);
  EXPECT_EQ(impl, want_impl) << what;
  const double scale = std::max(max_ref, 4 * std::sqrt(double(cc.k * cc.k * cc.c)) / 3);
  EXPECT_LE(max_diff, 1e-5 * scale) << what << ": max diff " << max_diff << " of scale " << scale;
}

// Where oneDNN runs AVX-512 the dispatch policy keeps the AVX2 kernels out; these tests force them
// in (EDGEZOO_AVX2_CONVS=1) so they are checked on every CPU that can run them.
struct ForceAvx2Kernels {
  ForceAvx2Kernels() { setenv("EDGEZOO_AVX2_CONVS", "1", 1); }
  ~ForceAvx2Kernels() { unsetenv("EDGEZOO_AVX2_CONVS"); }
};

TEST(X86Conv, WinogradMatchesReferenceOnAwkwardShapes) {
  const ForceAvx2Kernels force;
  if (!hand_written_convs_pay()) GTEST_SKIP() << "no AVX2+FMA on this CPU: the AVX2 kernels cannot run";
  std::mt19937 rng(23);
  const Case cases[] = {
      {3, 1, 16, 8, 8, 16, {1, 1, 1, 1}, "", 0, true, false},
      {3, 1, 19, 13, 11, 21, {1, 1, 1, 1}, "Silu", 0, true, false},      // channel tails, partial tiles
      {3, 2, 32, 10, 17, 48, {0, 0, 0, 0}, "Relu", 0, false, false},     // batch, no padding
      {3, 1, 24, 9, 14, 16, {2, 0, 1, 2}, "LeakyRelu", 1, true, false},  // asymmetric pads
      {3, 1, 64, 20, 20, 64, {1, 1, 1, 1}, "Silu", 1, true, true},       // residual after, in place
      {3, 1, 40, 12, 12, 80, {1, 1, 1, 1}, "Sigmoid", 2, true, false},   // residual before
      {3, 1, 17, 11, 9, 33, {1, 1, 1, 1}, "HardSwish", 2, true, true},
      {3, 1, 16, 16, 16, 17, {1, 1, 1, 1}, "HardSigmoid", 0, true, false},
      {3, 1, 18, 8, 12, 16, {1, 1, 1, 1}, "Clip", 0, true, false},
      {3, 1, 12, 21, 19, 16, {1, 1, 1, 1}, "Silu", 0, true, false},      // the YOLOX Focus shape, 12 channels
  };
  for (const Case& cc : cases) expect_matches(cc, rng, "winograd");
}

TEST(X86Conv, Conv1x1MatchesReferenceOnAwkwardShapes) {
  const ForceAvx2Kernels force;
  if (!hand_written_convs_pay()) GTEST_SKIP() << "no AVX2+FMA on this CPU: the AVX2 kernels cannot run";
  std::mt19937 rng(31);
  const Case cases[] = {
      {1, 1, 16, 8, 8, 16, {0, 0, 0, 0}, "", 0, true, false},
      {1, 1, 19, 7, 11, 21, {0, 0, 0, 0}, "Silu", 0, true, false},     // 77 pixels: a 5-row tail tile
      {1, 2, 64, 5, 9, 48, {0, 0, 0, 0}, "Relu", 0, false, false},     // batch, no bias
      {1, 1, 8, 9, 9, 8, {0, 0, 0, 0}, "LeakyRelu", 1, true, false},   // half a 16-channel block
      {1, 1, 128, 6, 13, 64, {0, 0, 0, 0}, "Silu", 1, true, true},     // residual after, in place
      {1, 1, 40, 12, 12, 80, {0, 0, 0, 0}, "Sigmoid", 2, true, false},  // residual before
      {1, 1, 17, 11, 9, 33, {0, 0, 0, 0}, "HardSwish", 2, true, true},
      {1, 1, 256, 4, 17, 24, {0, 0, 0, 0}, "HardSigmoid", 0, true, false},
      {1, 1, 18, 8, 12, 13, {0, 0, 0, 0}, "Clip", 0, true, false},
  };
  for (const Case& cc : cases) expect_matches(cc, rng, "avx2-1x1");
}

TEST(X86Conv, LeavesSmallOrUnsupportedConvolutionsToOneDnn) {
  const ForceAvx2Kernels force;  // what worthwhile() refuses, even where the AVX2 kernels are allowed
  std::mt19937 rng(29);
  const Case cases[] = {
      {3, 1, 4, 16, 16, 16, {1, 1, 1, 1}, "Silu", 0, true, false},   // too few input channels to pay
      {3, 1, 32, 5, 5, 32, {1, 1, 1, 1}, "", 0, true, false},        // image smaller than two tiles
      {3, 1, 32, 12, 12, 32, {1, 1, 1, 1}, "Tanh", 0, true, false},  // activation the epilogue lacks
      {1, 1, 4, 16, 16, 16, {0, 0, 0, 0}, "Silu", 0, true, false},   // too few input channels
      {1, 1, 32, 12, 12, 32, {1, 1, 1, 1}, "", 0, true, false},      // a padded 1x1
  };
  for (const Case& cc : cases) {
    double max_ref = 0, max_diff = 0;
    EXPECT_EQ(run_case(cc, rng, &max_ref, &max_diff), "dnnl") << cc.k << "x" << cc.k << " c" << cc.c << " " << cc.act;
    EXPECT_LE(max_diff, 1e-5 * max_ref);
  }
}

// oneDNN's own Winograd F(2x2, 3x3) on AVX-512 for wide 3x3 layers (conv_dnnl.cpp, try_winograd):
// an activation it takes as a post-op (ReLU), one it does not (SiLU, run as a separate eltwise
// primitive), odd sizes, padded or not; same tolerance as above (F(2,3) transforms are milder than
// F(4,3)'s). A residual keeps the direct kernel.
TEST(X86Conv, OneDnnWinogradOnWideLayersMatchesReference) {
  const int isa = static_cast<int>(dnnl::get_effective_cpu_isa()), avx512 = static_cast<int>(dnnl::cpu_isa::avx512_core);
  if ((isa & avx512) != avx512) GTEST_SKIP() << "oneDNN's Winograd kernels need AVX-512";
  std::mt19937 rng(41);
  const Case cases[] = {
      {3, 1, 64, 20, 20, 64, {1, 1, 1, 1}, "Relu", 0, true, false},
      {3, 1, 80, 21, 19, 80, {1, 1, 1, 1}, "Silu", 0, true, false},
      {3, 1, 64, 22, 18, 64, {0, 0, 0, 0}, "", 0, false, false},
      {3, 1, 128, 9, 9, 64, {1, 1, 1, 1}, "Sigmoid", 0, true, false},
  };
  for (const Case& cc : cases) expect_matches(cc, rng, "dnnl-wino");
  const Case residual = {3, 1, 64, 10, 10, 64, {1, 1, 1, 1}, "Silu", 1, true, false};
  expect_matches(residual, rng, "dnnl");
  const Case narrow = {3, 1, 32, 20, 20, 64, {1, 1, 1, 1}, "Silu", 0, true, false};
  expect_matches(narrow, rng, "dnnl");
}

}  // namespace
}  // namespace ez::ops
