// im2col for N-D windows: unrolls one image's input patches into a (C*prod(kernel)) x prod(out)
// matrix so that a convolution becomes one matrix multiply. Padding reads as zero.
#pragma once

#include "ops/nn/conv_geometry.h"

namespace ez::ops {

// x: [C, in...] of one image and one group; col: [C * kernel_size, out_size].
void im2col(const float* x, int64_t channels, const WindowGeometry& g, float* col);
// The reverse (accumulating) scatter used by ConvTranspose: adds col back into y [C, in...].
void col2im_add(const float* col, int64_t channels, const WindowGeometry& g, float* y);

}  // namespace ez::ops
