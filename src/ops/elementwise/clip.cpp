// Clip: bounds from attributes (opset < 11) or optional inputs (opset >= 11); any real dtype.
#include <limits>

#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

class ClipKernel final : public Kernel {
 public:
  ClipKernel(bool from_attrs, float lo, float hi) : from_attrs_(from_attrs), lo_(lo), hi_(hi) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 3, "Clip"));
    for (size_t i = 1; i < in.size(); ++i)
      if (in[i].present() && shape_numel(in[i].desc.shape) != 1) return invalid_model("Clip: min and max must be scalars");
    (*out)[0] = in[0].desc;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    Status s;
    EZ_DISPATCH_REAL(x.dtype(), T, s = unsupported(std::string("Clip on ") + dtype_name(x.dtype())), {
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (from_attrs_) {
        lo = static_cast<T>(lo_);
        hi = static_cast<T>(hi_);
      } else {
        if (in.size() > 1 && in[1]) lo = in[1]->data<T>()[0];
        if (in.size() > 2 && in[2]) hi = in[2]->data<T>()[0];
      }
      // ONNX (and numpy.clip) apply min first, then max: with lo > hi every value becomes hi.
      map_unary<T, T>(x, out[0], [lo, hi](T v) { return std::min(std::max(v, lo), hi); }, ctx.pool);
    });
    return s;
  }

 private:
  bool from_attrs_;
  float lo_, hi_;
};

}  // namespace

Result<KernelPtr> create_Clip(const KernelConfig& c) {
  const bool attrs = c.opset < 11;
  return KernelPtr(new ClipKernel(attrs, c.attrs.get_float("min", -std::numeric_limits<float>::max()),
                                  c.attrs.get_float("max", std::numeric_limits<float>::max())));
}

}  // namespace ez::ops
