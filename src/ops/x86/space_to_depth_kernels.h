// The Focus gather of SpaceToDepthBlocks (ops/tensor/space_to_depth_blocks.cpp) on AVX-512, for
// the stem YOLOv5 and YOLOX export: blocksize 2, 3 input channels, all 4 blocks (any order), NCHW
// in, NHWC out. Per output row, 12 values a pixel gathered from 6 input rows (3 channels x 2 row
// offsets): one group of pixels reads 6 row segments into 3 registers and writes 3 registers, a
// fixed permutation of the 3 x 64 bytes; the scalar loop it replaces stores one value at a time.
// Built in their own translation units (-mavx512f; bytes also -mavx512vbmi) and called only after
// a CPU check. Plain types only.
#pragma once

#include <cstdint>

namespace ez::ops::space_to_depth_simd {

// x: [N, 3, H, W]; y: [N, H/2, W/2, 12] with y[n, h, w, k*3 + c] = x[n, c, 2h + by[k], 2w + bx[k]].
struct FocusDims {
  int64_t H, W;  // the input's; both even
};

// Output rows [r0, r1) (r = n * H/2 + h) of 4-byte values (float32, int32).
void focus_rows_32(const uint32_t* x, uint32_t* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1);
// The same for 1-byte values (uint8, int8: a quantized picture); needs AVX-512 VBMI.
void focus_rows_8(const uint8_t* x, uint8_t* y, FocusDims d, const int64_t* by, const int64_t* bx, int64_t r0, int64_t r1);

}  // namespace ez::ops::space_to_depth_simd
