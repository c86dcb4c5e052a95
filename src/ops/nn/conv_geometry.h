// Output sizes and padding of sliding-window operators (Conv, ConvTranspose, pooling) from the
// ONNX attributes kernel_shape, strides, dilations, pads, auto_pad and ceil_mode.
#pragma once

#include <string>
#include <vector>

#include "core/attributes.h"
#include "core/status.h"
#include "core/tensor.h"

namespace ez::ops {

struct WindowAttrs {
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begins then ends
  std::string auto_pad = "NOTSET";
  bool ceil_mode = false;
  // Reads the attributes for `spatial` dims; kernel may come from the weight shape instead.
  static Result<WindowAttrs> from(const Attributes& a, size_t spatial, std::vector<int64_t> kernel, const char* op);
};

struct WindowGeometry {
  std::vector<int64_t> in, out, kernel, strides, dilations, pad_begin, pad_end;
  int64_t in_size() const;
  int64_t out_size() const;
  int64_t kernel_size() const;
};

// Forward windows (Conv, pooling).
Result<WindowGeometry> window_geometry(const WindowAttrs& w, const std::vector<int64_t>& in_spatial, const char* op);

// ConvTranspose as the adjoint of a forward conv: `out` holds X's spatial dims, `in` the result's,
// pads are those of the forward conv (output_padding, output_shape and auto_pad resolved; a
// negative pad_end means extra zeros at the end). X is [N, C, ...], W is [C, M/group, k...].
Result<WindowGeometry> conv_transpose_geometry(const Attributes& attrs, const Shape& x, const Shape& w);

}  // namespace ez::ops
