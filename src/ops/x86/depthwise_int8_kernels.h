// The AVX-512 inner loop of the int8 3x3 depthwise convolution (depthwise_int8.h), in its own
// translation unit built with -mavx512f -mfma and called only after a CPU check. Plain types
// only (see winograd_f43_kernels.h for why).
#pragma once

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::depthwise_int8::avx512 {

struct RowArgs {
  const void* x = nullptr;  // [N, H, W, C] uint8 or int8
  void* y = nullptr;        // [N, OH, OW, C] uint8 or int8
  const float* w = nullptr;             // [9][C]: w - w_zp, tap by tap
  const float* bias = nullptr;          // [C]: the int32 bias as float (exact, see depthwise_int8.h)
  const float* mult = nullptr;          // [C]: s_x * s_w[c]
  const float* channel_mult = nullptr;  // [C] or null
  int64_t n = 0, in_h = 0, in_w = 0, c = 0, out_h = 0, out_w = 0;
  int64_t stride = 1, pad_top = 0, pad_left = 0;
  float x_zp = 0;
  bool x_signed = false, y_signed = false;
  float y_inv_scale = 1;  // 1 / s_y
  int32_t y_zp = 0;
  x86::EpilogueParams epilogue;
};

// Output rows [begin, end), numbered image by image. scratch: 3 * (in_w + 2) * c floats.
void run_rows(const RowArgs& a, int64_t begin, int64_t end, float* scratch);

}  // namespace ez::ops::depthwise_int8::avx512
