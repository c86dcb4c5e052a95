// 1x1 stride-1 float convolution on NHWC activations with the epilogue fused in registers, for
// AVX2 + FMA CPUs. oneDNN's jit_1x1 kernel computes the GEMM as fast, but its activation
// post-ops are costly next to the short dot products of narrow layers: with SiLU, a 32 -> 32
// channel 1x1 convolution took 2.4x as long as without it (bench/conv_bench, "conv1x1" rows),
// and YOLOX-Nano spends most of its time in such layers. Here the sigmoid uses a reciprocal
// estimate refined once instead of a division.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "ops/nn/activation.h"
#include "ops/x86/nhwc_conv.h"

namespace ez::ops::conv1x1 {

struct Shape1x1 {
  int64_t pixels = 0;  // N * H * W
  int64_t in_c = 0, out_c = 0;
};

// Whether this kernel is expected to beat oneDNN's for the shape (tuned on an AVX2 EPYC).
bool worthwhile(const Shape1x1& s);

class Conv1x1 final : public x86::NhwcConv {
 public:
  // weights: ONNX [OC, IC, 1, 1]; bias: [OC] or null.
  Conv1x1(const Shape1x1& shape, const float* weights, const float* bias, const ActivationSpec& act, bool has_residual,
          bool sum_first);
  // x: [P, IC]; residual: [P, OC] or null (may be y itself); y: [P, OC].
  void run(const float* x, const float* residual, float* y, const ThreadPool* pool) const override;
  const char* name() const override { return "avx2-1x1"; }

 private:
  Shape1x1 s_;
  ActivationSpec act_;
  bool has_residual_, sum_first_;
  int64_t ocp_ = 0;
  std::vector<float> w_;     // [ocp/16][IC][16], zero-padded channels
  std::vector<float> bias_;  // [ocp]
};

}  // namespace ez::ops::conv1x1
