// ConvTranspose (reference): the adjoint of Conv. Per image and group, col = W_g^T * X_g, then
// col2im scatters the columns into the output. Handles groups, strides, dilations, pads,
// output_padding, output_shape and auto_pad as in the ONNX specification.
#include <cstring>

#include "ops/nn/conv_geometry.h"
#include "ops/nn/gemm_ref.h"
#include "ops/nn/im2col.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

class ConvTransposeKernel final : public Kernel {
 public:
  explicit ConvTransposeKernel(const KernelConfig& c) : attrs_(c.attrs), group_(c.attrs.get_int("group", 1)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 3, "ConvTranspose"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32}, "ConvTranspose", "X"));
    const Shape& x = in[0].desc.shape;
    const Shape& w = in[1].desc.shape;
    if (x.size() < 3 || w.size() != x.size()) return invalid_model("ConvTranspose: X and W ranks do not fit");
    if (group_ <= 0 || x[1] % group_ || w[0] != x[1])
      return invalid_model("ConvTranspose: W " + shape_to_string(w) + " does not fit X " + shape_to_string(x) +
                           " with group " + std::to_string(group_));
    const size_t S = x.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "ConvTranspose"));
    const std::vector<int64_t> out_pad = attrs_.get_ints("output_padding", std::vector<int64_t>(S, 0));
    std::vector<int64_t> out_shape = attrs_.get_ints("output_shape");
    if (out_pad.size() != S) return invalid_model("ConvTranspose: output_padding length");
    if (!out_shape.empty() && out_shape.size() == S + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    geom_ = WindowGeometry();
    geom_.kernel = wa.kernel;
    geom_.strides = wa.strides;
    geom_.dilations = wa.dilations;
    geom_.out.assign(x.begin() + 2, x.end());  // the forward conv's output is our input
    geom_.in.resize(S);
    geom_.pad_begin.resize(S);
    geom_.pad_end.resize(S);
    for (size_t i = 0; i < S; ++i) {
      const int64_t ext = (wa.kernel[i] - 1) * wa.dilations[i] + 1;
      const int64_t full = wa.strides[i] * (x[i + 2] - 1) + out_pad[i] + ext;
      const bool same = wa.auto_pad == "SAME_UPPER" || wa.auto_pad == "SAME_LOWER";
      if (!out_shape.empty() || same) {
        const int64_t target = !out_shape.empty() ? out_shape[i] : x[i + 2] * wa.strides[i];
        const int64_t total = full - target;
        if (total < 0) {  // a larger output_shape than the full result: extra zeros at the end
          geom_.pad_begin[i] = 0;
          geom_.pad_end[i] = total;
        } else if (wa.auto_pad == "SAME_UPPER") {
          geom_.pad_begin[i] = total / 2;
          geom_.pad_end[i] = total - total / 2;
        } else {
          geom_.pad_begin[i] = total - total / 2;
          geom_.pad_end[i] = total / 2;
        }
        geom_.in[i] = target;
      } else {
        geom_.pad_begin[i] = wa.auto_pad == "VALID" ? 0 : wa.pads[i];
        geom_.pad_end[i] = wa.auto_pad == "VALID" ? 0 : wa.pads[i + S];
        geom_.in[i] = full - geom_.pad_begin[i] - geom_.pad_end[i];
      }
      if (geom_.in[i] <= 0) return invalid_model("ConvTranspose: non-positive output size");
    }
    Shape os = {x[0], w[1] * group_};
    os.insert(os.end(), geom_.in.begin(), geom_.in.end());
    (*out)[0] = {DType::kFloat32, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    const Tensor& w = *in[1];
    Tensor& y = out[0];
    const int64_t N = x.dim(0), C = x.dim(1), Cg = C / group_, Mg = w.dim(1), M = Mg * group_;
    const int64_t k = geom_.kernel_size(), xs = geom_.out_size(), ys = geom_.in_size();
    const int64_t rows = Mg * k;
    if (wt_.size() != static_cast<size_t>(group_ * rows * Cg)) {  // W_g^T, row-major [Mg*k, Cg], once
      wt_.resize(group_ * rows * Cg);
      for (int64_t g = 0; g < group_; ++g)
        for (int64_t c = 0; c < Cg; ++c)
          for (int64_t r = 0; r < rows; ++r) wt_[(g * rows + r) * Cg + c] = w.data<float>()[(g * Cg + c) * rows + r];
    }
    std::vector<float> col(rows * xs);
    std::memset(y.raw(), 0, y.nbytes());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < group_; ++g) {
        gemm_ref(rows, xs, Cg, wt_.data() + g * rows * Cg, Cg, x.data<float>() + (n * C + g * Cg) * xs, xs, col.data(), xs,
                 false, ctx.pool);
        col2im_add(col.data(), Mg, geom_, y.data<float>() + (n * M + g * Mg) * ys);
      }
    if (in.size() > 2 && in[2])
      for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) {
          float* p = y.data<float>() + (n * M + m) * ys;
          const float b = in[2]->data<float>()[m];
          for (int64_t i = 0; i < ys; ++i) p[i] += b;
        }
    return Status::OK();
  }

 private:
  Attributes attrs_;
  int64_t group_;
  WindowGeometry geom_;
  std::vector<float> wt_;
};

}  // namespace

Result<KernelPtr> create_ConvTranspose(const KernelConfig& c) { return KernelPtr(new ConvTransposeKernel(c)); }

}  // namespace ez::ops
