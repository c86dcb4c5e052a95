// FusedConv (internal, made by graph passes): Conv, then optionally a residual Z (4th input, same
// shape as the output) and an activation: y = act(conv(x) + Z) when sum_first=1, else
// y = act(conv(x)) + Z. The reference composes the reference Conv with plain loops; the oneDNN
// fast path does it in one primitive with post-ops.
#include <cstring>

#include "ops/nn/activation.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

class FusedConvKernel final : public Kernel {
 public:
  FusedConvKernel(KernelPtr conv, ActivationSpec act, bool sum_first)
      : conv_(std::move(conv)), act_(act), sum_first_(sum_first) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    if (in.size() < 2 || in.size() > 4) return invalid_model("FusedConv expects 2-4 inputs");
    EZ_RETURN_IF_ERROR(conv_->infer(conv_inputs(in), out));
    if (in.size() > 3 && in[3].present() && in[3].desc.shape != (*out)[0].shape)
      return invalid_model("FusedConv: residual " + shape_to_string(in[3].desc.shape) + " differs from output " +
                           shape_to_string((*out)[0].shape));
    return Status::OK();
  }

  Status prepare(const std::vector<KernelInput>& in) override { return conv_->prepare(conv_inputs(in)); }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    std::vector<const Tensor*> conv_in(in.begin(), in.begin() + std::min<size_t>(3, in.size()));
    EZ_RETURN_IF_ERROR(conv_->run(conv_in, out, ctx));
    float* y = out[0].data<float>();
    const int64_t n = out[0].numel();
    const float* z = in.size() > 3 && in[3] ? in[3]->data<float>() : nullptr;
    if (z && sum_first_)
      for (int64_t i = 0; i < n; ++i) y[i] += z[i];
    apply_activation(act_, y, n);
    if (z && !sum_first_)
      for (int64_t i = 0; i < n; ++i) y[i] += z[i];
    return Status::OK();
  }

 private:
  static std::vector<KernelInput> conv_inputs(const std::vector<KernelInput>& in) {
    return std::vector<KernelInput>(in.begin(), in.begin() + std::min<size_t>(3, in.size()));
  }

  KernelPtr conv_;
  ActivationSpec act_;
  bool sum_first_;
};

}  // namespace

Result<KernelPtr> create_FusedConv(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(ActivationSpec act, activation_from_attrs(c.attrs));
  KernelConfig conv = c;
  conv.op_type = "Conv";
  conv.num_inputs = std::min(c.num_inputs, 3);
  EZ_ASSIGN_OR_RETURN(KernelPtr k, create_kernel(conv, KernelChoice::kReference));
  return KernelPtr(new FusedConvKernel(std::move(k), act, c.attrs.get_int("sum_first", 0) != 0));
}

}  // namespace ez::ops
