// Conv (reference): any number of spatial dims, groups (incl. depthwise), strides, dilations,
// explicit or automatic padding, optional bias. Per image and group: im2col, then one GEMM.
// A 1x1, stride-1, unpadded convolution skips im2col (the input already is the column matrix).
#include <cstring>

#include "ops/nn/conv_geometry.h"
#include "ops/nn/gemm_ref.h"
#include "ops/nn/im2col.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

class ConvKernel final : public Kernel {
 public:
  explicit ConvKernel(const KernelConfig& c) : attrs_(c.attrs), group_(c.attrs.get_int("group", 1)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 3, "Conv"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32}, "Conv", "X"));
    const Shape& x = in[0].desc.shape;
    const Shape& w = in[1].desc.shape;
    if (x.size() < 3 || w.size() != x.size())
      return invalid_model("Conv: X " + shape_to_string(x) + " and W " + shape_to_string(w) + " ranks do not fit");
    if (group_ <= 0 || x[1] % group_ || w[0] % group_)
      return invalid_model("Conv: group " + std::to_string(group_) + " does not divide channels (X " + shape_to_string(x) +
                           ", W " + shape_to_string(w) + ")");
    if (x[1] / group_ != w[1])
      return invalid_model("Conv: X has " + std::to_string(x[1]) + " channels, W expects " + std::to_string(w[1] * group_) +
                           " (group " + std::to_string(group_) + ")");
    if (in.size() > 2 && in[2].present() && (in[2].desc.shape.size() != 1 || in[2].desc.shape[0] != w[0]))
      return invalid_model("Conv: bias shape " + shape_to_string(in[2].desc.shape) + " does not match " + std::to_string(w[0]) + " output channels");
    const size_t S = x.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "Conv"));
    for (size_t i = 0; i < S; ++i)
      if (wa.kernel[i] != w[i + 2]) return invalid_model("Conv: kernel_shape does not match W");
    EZ_ASSIGN_OR_RETURN(geom_, window_geometry(wa, Shape(x.begin() + 2, x.end()), "Conv"));
    Shape os = {x[0], w[0]};
    os.insert(os.end(), geom_.out.begin(), geom_.out.end());
    (*out)[0] = {DType::kFloat32, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    const Tensor& w = *in[1];
    const float* bias = in.size() > 2 && in[2] ? in[2]->data<float>() : nullptr;
    Tensor& y = out[0];
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0);
    const int64_t Cg = C / group_, Mg = M / group_;
    const int64_t is = geom_.in_size(), os = geom_.out_size(), K = Cg * geom_.kernel_size();
    bool direct = geom_.kernel_size() == 1;
    for (size_t i = 0; i < geom_.in.size(); ++i)
      direct = direct && geom_.strides[i] == 1 && geom_.pad_begin[i] == 0 && geom_.pad_end[i] == 0;
    if (!direct && static_cast<int64_t>(col_.size()) < K * os) col_.resize(K * os);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < group_; ++g) {
        const float* xg = x.data<float>() + (n * C + g * Cg) * is;
        const float* cols = xg;
        if (!direct) {
          im2col(xg, Cg, geom_, col_.data());
          cols = col_.data();
        }
        float* yg = y.data<float>() + (n * M + g * Mg) * os;
        gemm_ref(Mg, os, K, w.data<float>() + g * Mg * K, K, cols, os, yg, os, false, ctx.pool);
        if (bias)
          for (int64_t m = 0; m < Mg; ++m) {
            const float b = bias[g * Mg + m];
            float* row = yg + m * os;
            for (int64_t i = 0; i < os; ++i) row[i] += b;
          }
      }
    }
    return Status::OK();
  }

 private:
  Attributes attrs_;
  int64_t group_;
  WindowGeometry geom_;
  std::vector<float> col_;
};

}  // namespace

Result<KernelPtr> create_Conv(const KernelConfig& c) { return KernelPtr(new ConvKernel(c)); }

}  // namespace ez::ops
