// Winograd F(4x4, 3x3) convolution for 3x3 / stride 1 / dilation 1 / group 1 float convolutions
// on NHWC activations, the fast path used where oneDNN has no Winograd kernel (oneDNN 2.x offers
// one only on AVX-512; on AVX2 its direct kernels are already at the FMA peak, so only doing
// fewer multiplications is faster). Each 4x4 output tile costs 36 multiply-adds per
// (input, output) channel pair instead of 144: the three 3x3 layers that dominate YOLOv8n's time
// run 2.5-3x as fast (bench/conv_bench, "winograd" rows).
//
// The work is split into blocks of output tiles; each block is transformed (input -> V), multiplied
// (36 independent [tiles x IC] x [IC x OC] GEMMs with the transformed weights U), and transformed
// back (M -> output, with bias, residual and activation applied in registers) while its V and M
// stay in the core's L2 cache. Blocks are shared between threads with no synchronisation.
//
// Numerics: the transforms use the points 0, +-1, +-2 (Lavin & Gray), whose fp32 rounding error
// is a few units in the last place of the largest intermediate; the test against the reference
// convolution bounds it (tests/unit/winograd_conv_test.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "ops/nn/activation.h"
#include "ops/x86/nhwc_conv.h"

namespace ez::ops::winograd {

struct ConvShape {
  int64_t batch = 1, in_h = 0, in_w = 0, in_c = 0, out_c = 0;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t out_h() const { return in_h + pad_top + pad_bottom - 2; }
  int64_t out_w() const { return in_w + pad_left + pad_right - 2; }
};

// Whether F(4,3) is expected to beat oneDNN's direct kernel for this convolution (measured on an
// AVX2 EPYC, bench/conv_bench: from 8 channels on it does, 1.2x at 8 -> 16 and 2.5-3x at 32-128;
// below 8, channel padding makes the transforms dominant; tiny images waste padded tiles).
bool worthwhile(const ConvShape& s);

// What the output transform applies after the convolution: y = act(conv + bias [+ residual])
// [+ residual], FusedConv's semantics (activations: x86::epilogue_supported).
struct Epilogue {
  ActivationSpec act;
  bool has_residual = false, sum_first = false;
};

class F43Conv final : public x86::NhwcConv {
 public:
  // weights: ONNX [OC, IC, 3, 3]; bias: [OC] or null. Transforms and packs the weights once.
  F43Conv(const ConvShape& shape, const float* weights, const float* bias, const Epilogue& epilogue);
  // x: [N, H, W, IC]; residual: [N, OH, OW, OC] or null (may be y itself); y: [N, OH, OW, OC].
  void run(const float* x, const float* residual, float* y, const ThreadPool* pool) const override;
  const char* name() const override { return "winograd"; }

 private:
  ConvShape s_;
  Epilogue e_;
  int64_t icp_ = 0, ocp_ = 0;        // channels rounded up to the SIMD blocks (8 in, 16 out)
  int64_t tiles_y_ = 0, tiles_x_ = 0;  // 4x4 output tiles per image
  std::vector<float> u_;     // packed transformed weights, see the .cpp
  std::vector<float> bias_;  // [ocp], zero-padded
};

}  // namespace ez::ops::winograd
