// Max, Min, Sum, Mean over any number of inputs with broadcasting (folded pairwise).
#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Fold { kMax, kMin, kSum, kMean };

class VariadicKernel final : public Kernel {
 public:
  VariadicKernel(std::string name, Fold op) : name_(std::move(name)), op_(op) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    if (in.empty()) return invalid_model(name_ + " needs at least one input");
    Shape s = in[0].desc.shape;
    for (size_t i = 1; i < in.size(); ++i) {
      if (in[i].desc.dtype != in[0].desc.dtype) return invalid_model(name_ + ": input dtypes differ");
      EZ_ASSIGN_OR_RETURN(s, broadcast_shapes(s, in[i].desc.shape));
    }
    (*out)[0] = {in[0].desc.dtype, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    Status s;
    EZ_DISPATCH_REAL(out[0].dtype(), T, s = unsupported(name_ + " on " + dtype_name(out[0].dtype())), s = fold<T>(in, out[0], ctx));
    return s;
  }

 private:
  template <typename T>
  Status fold(const std::vector<const Tensor*>& in, Tensor& y, const RunContext& ctx) {
    // acc starts as input 0 broadcast to the output shape, then absorbs each further input.
    Tensor zero = Tensor::zeros(y.dtype(), {});
    broadcast_binary<T, T, T>(*in[0], zero, y, [](T a, T) { return a; }, ctx.pool);
    for (size_t i = 1; i < in.size(); ++i) {
      switch (op_) {
        case Fold::kMax: broadcast_binary<T, T, T>(y, *in[i], y, [](T a, T b) { return std::max(a, b); }, ctx.pool); break;
        case Fold::kMin: broadcast_binary<T, T, T>(y, *in[i], y, [](T a, T b) { return std::min(a, b); }, ctx.pool); break;
        default: broadcast_binary<T, T, T>(y, *in[i], y, [](T a, T b) { return static_cast<T>(a + b); }, ctx.pool); break;
      }
    }
    if (op_ == Fold::kMean) {
      const T n = static_cast<T>(in.size());
      map_unary<T, T>(y, y, [n](T v) { return static_cast<T>(v / n); }, ctx.pool);
    }
    return Status::OK();
  }

  std::string name_;
  Fold op_;
};

}  // namespace

Result<KernelPtr> create_Max(const KernelConfig&) { return KernelPtr(new VariadicKernel("Max", Fold::kMax)); }
Result<KernelPtr> create_Min(const KernelConfig&) { return KernelPtr(new VariadicKernel("Min", Fold::kMin)); }
Result<KernelPtr> create_Sum(const KernelConfig&) { return KernelPtr(new VariadicKernel("Sum", Fold::kSum)); }
Result<KernelPtr> create_Mean(const KernelConfig&) { return KernelPtr(new VariadicKernel("Mean", Fold::kMean)); }

}  // namespace ez::ops
