// int8 convolution on NHWC activations for CPUs with AVX-512 VNNI, in the QLinearConv form
// edgezoo's quantizer writes (float_accumulator: v = float(sum + bias) * s_x*s_w[m], the
// activation, an optional channel multiplier, then z = saturate(round(v / s_z) + z_zp), or the
// float v itself with output_float). uint8 activations, int8 weights, one group. Two shapes:
// 1x1 stride 1 unpadded (the pixels are the rows of a GEMM, read in place) and any other window
// (the input is first copied with its padding, rows and columns of x_zp: for the Focus stems of
// YOLOX and YOLOv5, 12 -> 16 channels 3x3 at 208x208, 278 us against oneDNN's 328 with SiLU at 2
// threads). Input channels in groups of four.
//
// Why not oneDNN's: its int8 kernels compute the products fast, but on these narrow layers the
// activation post-op dominates (YOLOX-Nano: 82 1x1 layers of 64 channels and fewer in, SiLU on
// almost all): oneDNN's swish divides for the sigmoid, which on AVX-512 costs as much as the
// exponential. Here the sigmoid uses a refined reciprocal estimate (ops/x86/avx512_common.h).
// The sums are exact (vpdpbusd: u8 x s8 products added into int32 without saturation), the
// x zero point is folded into the bias (padding reads as x_zp, so the fold holds at the borders
// too), and v is the reference's float bit for bit; only the exponential and the multiplication
// by 1/s_z in place of the division can move a quantized result by one step at a rounding tie.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "ops/nn/activation.h"

namespace ez::ops::conv_int8 {

struct Problem {
  int64_t n = 1, in_h = 0, in_w = 0, in_c = 0, out_h = 0, out_w = 0, out_c = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;  // dilation 1
  int32_t x_zp = 0;  // uint8 activations
  bool float_out = false, y_signed = false;
  int32_t y_zp = 0;
  float y_scale = 1;
  // With float_out: 8-bit copies of the float result, each times an optional channel multiplier
  // [OC] and then quantized by QuantizeLinear's exact formula (the nodes
  // passes/fuse_conv_output_quantize took in). At most 4.
  struct Extra {
    float scale = 1;
    int32_t zp = 0;
    bool is_signed = false;
    const float* channel_mult = nullptr;  // copied by the kernel
  };
  std::vector<Extra> extras;
  // With extras: nobody reads the float result (every reader became an extra output), so it is
  // not stored (y is left as it was).
  bool float_unused = false;
  // 1x1, stride 1, no padding: the input is read in place.
  bool pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 && out_h == in_h &&
           out_w == in_w;
  }
};

// Whether this kernel covers the problem on this CPU: AVX-512 VNNI, input channels a multiple of
// 4 (and at most 1024 for pointwise layers).
bool supported(const Problem& p);

class ConvInt8 {
 public:
  // weights: [OC, IC, KH, KW] int8 (w - w_zp); bias: [OC] or null; mult: [OC]; channel_mult: [OC]
  // or null. ok() is false when the folded bias would leave int32.
  ConvInt8(const Problem& p, const int8_t* weights, const int32_t* bias, const float* mult, const float* channel_mult,
           const ActivationSpec& act);
  bool ok() const { return ok_; }
  // x: [N, H, W, IC] uint8; y: [N, OH, OW, OC] (8-bit, or float with float_out); extra_y: the
  // extra outputs, like y in 8 bits. Not reentrant (the padded copy is a member).
  void run(const uint8_t* x, void* y, const std::vector<void*>& extra_y, const ThreadPool* pool) const;
  static const char* name() { return "vnni-conv"; }

 private:
  void run_pointwise(const uint8_t* x, void* y, const std::vector<void*>& extra_y, const ThreadPool* pool) const;
  void pad_input(const uint8_t* x, const ThreadPool* pool) const;

  Problem p_;
  ActivationSpec act_;
  bool ok_ = false;
  int64_t ocp_ = 0, padded_h_ = 0, padded_w_ = 0;
  std::vector<int8_t> w_;  // [OCP/16][taps][IC/4][16][4], zero-padded output channels
  std::vector<int32_t> bias_;
  std::vector<float> mult_, channel_mult_;
  std::vector<float> fold_u_, fold_y_;  // [OCP]: the folded SiLU/Sigmoid epilogue's constants, or empty
  std::vector<std::vector<float>> extra_mult_;  // [OCP] per extra output with a multiplier
  std::vector<int64_t> tap_offsets_;   // bytes, in the padded input (0 for pointwise)
  mutable std::vector<uint8_t> padded_;  // [N][padded_h][padded_w][IC] and room for a tile past the end
};

}  // namespace ez::ops::conv_int8
