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
    EZ_ASSIGN_OR_RETURN(geom_, conv_transpose_geometry(attrs_, x, w));
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
