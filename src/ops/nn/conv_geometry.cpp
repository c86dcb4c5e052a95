#include "ops/nn/conv_geometry.h"

namespace ez::ops {

Result<WindowAttrs> WindowAttrs::from(const Attributes& a, size_t spatial, std::vector<int64_t> kernel, const char* op) {
  WindowAttrs w;
  w.kernel = a.has("kernel_shape") ? a.get_ints("kernel_shape") : std::move(kernel);
  w.strides = a.get_ints("strides", std::vector<int64_t>(spatial, 1));
  w.dilations = a.get_ints("dilations", std::vector<int64_t>(spatial, 1));
  w.pads = a.get_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  w.auto_pad = a.get_string("auto_pad", "NOTSET");
  w.ceil_mode = a.get_int("ceil_mode", 0) != 0;
  if (w.kernel.size() != spatial || w.strides.size() != spatial || w.dilations.size() != spatial ||
      w.pads.size() != 2 * spatial)
    return invalid_model(std::string(op) + ": kernel_shape/strides/dilations/pads do not match " +
                         std::to_string(spatial) + " spatial dims");
  for (size_t i = 0; i < spatial; ++i)
    if (w.kernel[i] <= 0 || w.strides[i] <= 0 || w.dilations[i] <= 0)
      return invalid_model(std::string(op) + ": kernel, strides and dilations must be positive");
  if (w.auto_pad != "NOTSET" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER" && w.auto_pad != "VALID")
    return invalid_model(std::string(op) + ": unknown auto_pad '" + w.auto_pad + "'");
  return w;
}

int64_t WindowGeometry::in_size() const {
  int64_t n = 1;
  for (int64_t v : in) n *= v;
  return n;
}
int64_t WindowGeometry::out_size() const {
  int64_t n = 1;
  for (int64_t v : out) n *= v;
  return n;
}
int64_t WindowGeometry::kernel_size() const {
  int64_t n = 1;
  for (int64_t v : kernel) n *= v;
  return n;
}

Result<WindowGeometry> window_geometry(const WindowAttrs& w, const std::vector<int64_t>& in, const char* op) {
  WindowGeometry g;
  g.in = in;
  g.kernel = w.kernel;
  g.strides = w.strides;
  g.dilations = w.dilations;
  const size_t S = in.size();
  g.out.resize(S);
  g.pad_begin.resize(S);
  g.pad_end.resize(S);
  for (size_t i = 0; i < S; ++i) {
    const int64_t ext = (w.kernel[i] - 1) * w.dilations[i] + 1;  // dilated window extent
    if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") {
      g.out[i] = (in[i] + w.strides[i] - 1) / w.strides[i];
      const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * w.strides[i] + ext - in[i]);
      g.pad_begin[i] = w.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pad_end[i] = total - g.pad_begin[i];
      continue;
    }
    if (w.auto_pad == "VALID") {
      g.pad_begin[i] = g.pad_end[i] = 0;
    } else {
      g.pad_begin[i] = w.pads[i];
      g.pad_end[i] = w.pads[i + S];
    }
    const int64_t span = in[i] + g.pad_begin[i] + g.pad_end[i] - ext;
    if (span < 0)
      return invalid_model(std::string(op) + ": window " + std::to_string(ext) + " larger than padded input " +
                           std::to_string(in[i] + g.pad_begin[i] + g.pad_end[i]));
    g.out[i] = (w.ceil_mode ? (span + w.strides[i] - 1) / w.strides[i] : span / w.strides[i]) + 1;
    // With ceil_mode the last window must start inside the input or left padding (PyTorch/ONNX rule).
    if (w.ceil_mode && (g.out[i] - 1) * w.strides[i] >= in[i] + g.pad_begin[i]) --g.out[i];
  }
  return g;
}

Result<WindowGeometry> conv_transpose_geometry(const Attributes& attrs_, const Shape& x, const Shape& w) {
  const size_t S = x.size() - 2;
  WindowGeometry g;
  EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "ConvTranspose"));
  const std::vector<int64_t> out_pad = attrs_.get_ints("output_padding", std::vector<int64_t>(S, 0));
  std::vector<int64_t> out_shape = attrs_.get_ints("output_shape");
  if (out_pad.size() != S) return invalid_model("ConvTranspose: output_padding length");
  if (!out_shape.empty() && out_shape.size() == S + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  g.kernel = wa.kernel;
  g.strides = wa.strides;
  g.dilations = wa.dilations;
  g.out.assign(x.begin() + 2, x.end());  // the forward conv's output is our input
  g.in.resize(S);
  g.pad_begin.resize(S);
  g.pad_end.resize(S);
  for (size_t i = 0; i < S; ++i) {
    const int64_t ext = (wa.kernel[i] - 1) * wa.dilations[i] + 1;
    const int64_t full = wa.strides[i] * (x[i + 2] - 1) + out_pad[i] + ext;
    const bool same = wa.auto_pad == "SAME_UPPER" || wa.auto_pad == "SAME_LOWER";
    if (!out_shape.empty() || same) {
      const int64_t target = !out_shape.empty() ? out_shape[i] : x[i + 2] * wa.strides[i];
      const int64_t total = full - target;
      if (total < 0) {  // a larger output_shape than the full result: extra zeros at the end
        g.pad_begin[i] = 0;
        g.pad_end[i] = total;
      } else if (wa.auto_pad == "SAME_UPPER") {
        g.pad_begin[i] = total / 2;
        g.pad_end[i] = total - total / 2;
      } else {
        g.pad_begin[i] = total - total / 2;
        g.pad_end[i] = total / 2;
      }
      g.in[i] = target;
    } else {
      g.pad_begin[i] = wa.auto_pad == "VALID" ? 0 : wa.pads[i];
      g.pad_end[i] = wa.auto_pad == "VALID" ? 0 : wa.pads[i + S];
      g.in[i] = full - g.pad_begin[i] - g.pad_end[i];
    }
    if (g.in[i] <= 0) return invalid_model("ConvTranspose: non-positive output size");
  }
  return g;
}

}  // namespace ez::ops
