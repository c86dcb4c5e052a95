// Equal, Less, Greater, LessOrEqual, GreaterOrEqual (any real dtype or bool -> bool) and
// And, Or, Xor (bool), with broadcasting.
#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Cmp { kEqual, kLess, kGreater, kLessOrEqual, kGreaterOrEqual, kAnd, kOr, kXor };

template <typename T>
void compare(Cmp op, const Tensor& a, const Tensor& b, Tensor& out, const ThreadPool* pool) {
  switch (op) {
    case Cmp::kEqual: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x == y; }, pool); break;
    case Cmp::kLess: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x < y; }, pool); break;
    case Cmp::kGreater: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x > y; }, pool); break;
    case Cmp::kLessOrEqual: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x <= y; }, pool); break;
    case Cmp::kGreaterOrEqual: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x >= y; }, pool); break;
    case Cmp::kAnd: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x && y; }, pool); break;
    case Cmp::kOr: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return x || y; }, pool); break;
    case Cmp::kXor: broadcast_binary<T, T, bool>(a, b, out, [](T x, T y) { return bool(x) != bool(y); }, pool); break;
  }
}

class CompareKernel final : public Kernel {
 public:
  CompareKernel(std::string name, Cmp op) : name_(std::move(name)), op_(op) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 2, name_.c_str()));
    if (in[0].desc.dtype != in[1].desc.dtype)
      return invalid_model(name_ + ": input dtypes differ (" + dtype_name(in[0].desc.dtype) + " vs " +
                           dtype_name(in[1].desc.dtype) + ")");
    const bool logical = op_ == Cmp::kAnd || op_ == Cmp::kOr || op_ == Cmp::kXor;
    if (logical && in[0].desc.dtype != DType::kBool) return invalid_model(name_ + " needs bool inputs");
    EZ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0].desc.shape, in[1].desc.shape));
    (*out)[0] = {DType::kBool, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (in[0]->dtype() == DType::kBool) {
      compare<bool>(op_, *in[0], *in[1], out[0], ctx.pool);
      return Status::OK();
    }
    Status s;
    EZ_DISPATCH_REAL(in[0]->dtype(), T, s = unsupported(name_ + " on " + dtype_name(in[0]->dtype())),
                     compare<T>(op_, *in[0], *in[1], out[0], ctx.pool));
    return s;
  }

 private:
  std::string name_;
  Cmp op_;
};

}  // namespace

#define EZ_COMPARE_FACTORY(NAME)                                \
  Result<KernelPtr> create_##NAME(const KernelConfig&) {       \
    return KernelPtr(new CompareKernel(#NAME, Cmp::k##NAME)); \
  }
EZ_COMPARE_FACTORY(Equal)
EZ_COMPARE_FACTORY(Less)
EZ_COMPARE_FACTORY(Greater)
EZ_COMPARE_FACTORY(LessOrEqual)
EZ_COMPARE_FACTORY(GreaterOrEqual)
EZ_COMPARE_FACTORY(And)
EZ_COMPARE_FACTORY(Or)
EZ_COMPARE_FACTORY(Xor)
#undef EZ_COMPARE_FACTORY

}  // namespace ez::ops
