// 3x3 depthwise int8 convolution on NHWC activations, for AVX-512 CPUs: the QLinearConv form
// edgezoo's quantizer writes (float_accumulator: sum + bias scaled to float, the activation, an
// optional channel multiplier, then quantized to z). oneDNN 2.6 runs these layers with its
// jit_int8 kernel and a source zero-point attribute, slower than its own float32 depthwise
// kernel on the same shapes (YOLOX-Nano's 30 depthwise layers: 0.93 ms int8 against 0.87 ms
// float, 2 threads, minimum of interleaved runs), so int8 lost all its gain there.
//
// Here each input row is widened once to float (x - x_zp; columns and rows outside the image are
// zeros, which is what padding with x_zp means) into a three-row ring per thread, and the nine
// taps are float multiply-adds over 16 channels at a time. Every product and partial sum is an
// integer below 2^24 in magnitude (checked at construction from the weights and bias), so the
// float sum equals float(int32 sum + bias) exactly and v = sum * s_x*s_w[c] is the reference's
// value bit for bit; only the activation's exp and the multiplication by 1/s_z in place of the
// division can move a result by one step at a rounding tie, as oneDNN's kernels do.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "ops/nn/activation.h"

namespace ez::ops::depthwise_int8 {

struct Problem {
  int64_t n = 0, in_h = 0, in_w = 0, c = 0, out_h = 0, out_w = 0;
  int64_t stride = 1, pad_top = 0, pad_left = 0;
  bool x_signed = false, y_signed = false;
  int32_t x_zp = 0, y_zp = 0;
  float y_scale = 1;
};

// Whether the kernel covers the problem on this CPU: AVX-512F, channels a multiple of 16, stride
// 1 or 2, at most one row/column of padding on each side.
bool supported(const Problem& p);

class DepthwiseInt8 {
 public:
  // weights: [C, 9] (w - w_zp); bias: [C] or null; mult: [C] (s_x * s_w[c]); channel_mult: [C] or
  // null. ok() is false when an integer sum could leave float32's exact range.
  DepthwiseInt8(const Problem& p, const int32_t* weights, const int32_t* bias, const float* mult, const float* channel_mult,
                const ActivationSpec& act);
  bool ok() const { return ok_; }
  // x: [N, H, W, C]; y: [N, OH, OW, C] (8-bit, as the problem says).
  void run(const void* x, void* y, const ThreadPool* pool) const;
  static const char* name() { return "avx512-dw"; }

 private:
  Problem p_;
  ActivationSpec act_;
  bool ok_ = false;
  std::vector<float> w_, bias_, mult_, channel_mult_;
};

}  // namespace ez::ops::depthwise_int8
