// Identity and Dropout (inference mode): output = input. The executor's alias pass usually removes
// these nodes; this kernel is the fallback and the reference.
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

class IdentityKernel final : public Kernel {
 public:
  explicit IdentityKernel(std::string op) : op_(std::move(op)) {}
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, op_ == "Dropout" ? 3 : 1, op_.c_str()));
    // Training-mode dropout is random; edgezoo runs inference only.
    if (op_ == "Dropout" && in.size() > 2 && in[2].present()) {
      if (!in[2].value) return needs_value("Dropout: training_mode is not a constant");
      if (in[2].value->at_int(0) != 0) return unsupported("Dropout with training_mode=true (inference only)");
    }
    (*out)[0] = in[0].desc;
    // Dropout's optional mask output: all true in inference.
    if (out->size() > 1) (*out)[1] = {DType::kBool, in[0].desc.shape};
    return Status::OK();
  }
  bool output_is_view_of_input() const override { return op_ == "Identity"; }
  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    if (in[0]->nbytes()) std::memcpy(out[0].raw(), in[0]->raw(), in[0]->nbytes());
    if (out.size() > 1) std::memset(out[1].raw(), 1, out[1].nbytes());
    return Status::OK();
  }

 private:
  std::string op_;
};

}  // namespace

Result<KernelPtr> create_Identity(const KernelConfig&) { return KernelPtr(new IdentityKernel("Identity")); }
Result<KernelPtr> create_Dropout(const KernelConfig&) { return KernelPtr(new IdentityKernel("Dropout")); }

}  // namespace ez::ops
