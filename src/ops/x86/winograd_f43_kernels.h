// The AVX2 + FMA inner stages of the F(4x4, 3x3) Winograd convolution (winograd_f43.h), in their
// own translation unit built with -mavx2 -mfma and called only after a CPU check. Plain types
// only: nothing inline from the standard library may be compiled with those flags and then
// shared with code that runs on older CPUs.
#pragma once

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::winograd::avx2 {

struct BlockArgs {
  const float* x = nullptr;         // [N, H, W, IC]
  const float* residual = nullptr;  // [N, OH, OW, OC] or null
  float* y = nullptr;               // [N, OH, OW, OC]
  const float* u = nullptr;         // transformed weights [36][OCP/16][ICP][16]
  const float* bias = nullptr;      // [OCP]
  int64_t in_h = 0, in_w = 0, in_c = 0, out_h = 0, out_w = 0, out_c = 0, icp = 0, ocp = 0;
  int64_t pad_top = 0, pad_left = 0, tiles_y = 0, tiles_x = 0;
  x86::EpilogueParams epilogue;
};

// Computes the output tiles [tile_begin, tile_begin + count) (tiles numbered image by image, row
// by row). v and m are scratch of 36 * count * icp and 36 * count * ocp floats, 32-byte aligned.
void run_tiles(const BlockArgs& a, int64_t tile_begin, int64_t count, float* v, float* m);

}  // namespace ez::ops::winograd::avx2
