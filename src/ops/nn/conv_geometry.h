// Output sizes and padding of sliding-window operators (Conv, ConvTranspose, pooling) from the
// ONNX attributes kernel_shape, strides, dilations, pads, auto_pad and ceil_mode.
#pragma once

#include <string>
#include <vector>

#include "core/attributes.h"
#include "core/status.h"

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

}  // namespace ez::ops
