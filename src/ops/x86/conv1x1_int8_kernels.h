// The AVX-512 VNNI inner loop of the int8 1x1 convolution (conv1x1_int8.h), in its own
// translation unit built with -mavx512f -mavx512vnni -mfma and called only after a CPU check.
// Plain types only (see winograd_f43_kernels.h for why).
#pragma once

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::conv1x1_int8::vnni {

struct GemmArgs {
  const uint8_t* x = nullptr;  // [P, IC] uint8 (NHWC pixels as rows)
  void* y = nullptr;           // [P, OC]: int8 / uint8, or float with float_out
  const int8_t* w = nullptr;   // packed [OCP/16][IC/4][16][4]
  const int32_t* bias = nullptr;        // [OCP]: bias - x_zp * sum(w[m])
  const float* mult = nullptr;          // [OCP]: s_x * s_w[m]
  const float* channel_mult = nullptr;  // [OCP] or null
  int64_t in_c = 0, out_c = 0;
  bool float_out = false, y_signed = false;
  float y_inv_scale = 1;  // 1 / s_y
  int32_t y_zp = 0;
  x86::EpilogueParams epilogue;
};

// Rows [begin, end) of the output.
void run_rows(const GemmArgs& a, int64_t begin, int64_t end);

}  // namespace ez::ops::conv1x1_int8::vnni
