// The AVX2 + FMA inner loop of the 1x1 convolution (conv1x1.h), in its own translation unit
// built with -mavx2 -mfma. Plain types only (see winograd_f43_kernels.h for why).
#pragma once

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::conv1x1::avx2 {

struct GemmArgs {
  const float* x = nullptr;         // [P, IC] (NHWC pixels as rows)
  const float* residual = nullptr;  // [P, OC] or null
  float* y = nullptr;               // [P, OC]
  const float* w = nullptr;         // packed [OCP/16][IC][16]
  const float* bias = nullptr;      // [OCP]
  int64_t in_c = 0, out_c = 0, ocp = 0, row_block = 48;
  x86::EpilogueParams epilogue;
};

// Output rows [begin, end).
void run_rows(const GemmArgs& a, int64_t begin, int64_t end);

}  // namespace ez::ops::conv1x1::avx2
