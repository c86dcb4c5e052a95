// 1x1 stride-1 int8 convolution on NHWC activations for CPUs with AVX-512 VNNI, in the
// QLinearConv form edgezoo's quantizer writes (float_accumulator: v = float(sum + bias) * s_x*s_w[m],
// the activation, an optional channel multiplier, then z = saturate(round(v / s_z) + z_zp), or
// the float v itself with output_float). uint8 activations, int8 weights.
//
// Why not oneDNN's: its int8 1x1 kernels compute the products fast, but the activation
// post-op dominates these narrow layers (YOLOX-Nano: 82 of them, 64 channels and fewer in, SiLU
// on almost all): oneDNN's swish divides for the sigmoid, which on AVX-512 costs as much as the
// exponential. Here the sigmoid uses a refined reciprocal estimate (ops/x86/avx512_common.h).
// The sums are exact (vpdpbusd: u8 x s8 products added into int32 without saturation), the
// x zero point is folded into the bias (no padding in a 1x1 window), and v is the reference's
// float bit for bit; only the exponential and the multiplication by 1/s_z in place of the
// division can move a quantized result by one step at a rounding tie.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "ops/nn/activation.h"

namespace ez::ops::conv1x1_int8 {

struct Problem {
  int64_t pixels = 0, in_c = 0, out_c = 0;
  int32_t x_zp = 0;  // uint8 activations
  bool float_out = false, y_signed = false;
  int32_t y_zp = 0;
  float y_scale = 1;
};

// Whether this kernel covers the problem on this CPU: AVX-512 VNNI, input channels a multiple of
// 4 and at most 1024.
bool supported(const Problem& p);

class Conv1x1Int8 {
 public:
  // weights: [OC, IC] int8 (w - w_zp); bias: [OC] or null; mult: [OC]; channel_mult: [OC] or null.
  // ok() is false when the folded bias would leave int32.
  Conv1x1Int8(const Problem& p, const int8_t* weights, const int32_t* bias, const float* mult, const float* channel_mult,
              const ActivationSpec& act);
  bool ok() const { return ok_; }
  // x: [P, IC] uint8; y: [P, OC] (8-bit, or float with float_out).
  void run(const uint8_t* x, void* y, const ThreadPool* pool) const;
  static const char* name() { return "vnni-1x1"; }

 private:
  Problem p_;
  ActivationSpec act_;
  bool ok_ = false;
  int64_t ocp_ = 0;
  std::vector<int8_t> w_;  // [OCP/16][IC/4][16][4], zero-padded channels
  std::vector<int32_t> bias_;
  std::vector<float> mult_, channel_mult_;
};

}  // namespace ez::ops::conv1x1_int8
