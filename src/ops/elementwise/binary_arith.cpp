// Add, Sub, Mul, Div, Mod, Pow, PRelu, BitShift with NumPy broadcasting.
#include <cmath>

#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Arith { kAdd, kSub, kMul, kDiv, kMod, kFmod, kPRelu, kShiftLeft, kShiftRight };

template <typename T>
T python_mod(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else {
    if (b == 0) return 0;  // undefined in ONNX; avoid the trap
    T r = static_cast<T>(a % b);
    if constexpr (std::is_signed_v<T>) {
      if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
    }
    return r;
  }
}

template <typename T>
Status apply(Arith op, const Tensor& a, const Tensor& b, Tensor& out, const ThreadPool* pool) {
  switch (op) {
    case Arith::kAdd: broadcast_binary<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x + y); }, pool); break;
    case Arith::kSub: broadcast_binary<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x - y); }, pool); break;
    case Arith::kMul: broadcast_binary<T, T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x * y); }, pool); break;
    case Arith::kDiv:
      broadcast_binary<T, T, T>(a, b, out, [](T x, T y) {
        if constexpr (std::is_integral_v<T>) return y == 0 ? T(0) : static_cast<T>(x / y);
        else return static_cast<T>(x / y);
      }, pool);
      break;
    case Arith::kMod: broadcast_binary<T, T, T>(a, b, out, [](T x, T y) { return python_mod(x, y); }, pool); break;
    case Arith::kFmod:
      broadcast_binary<T, T, T>(a, b, out, [](T x, T y) {
        if constexpr (std::is_floating_point_v<T>) return static_cast<T>(std::fmod(x, y));
        else return y == 0 ? T(0) : static_cast<T>(x % y);
      }, pool);
      break;
    case Arith::kPRelu:
      broadcast_binary<T, T, T>(a, b, out, [](T x, T s) { return x < 0 ? static_cast<T>(x * s) : x; }, pool);
      break;
    case Arith::kShiftLeft: case Arith::kShiftRight:
      if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
        const bool left = op == Arith::kShiftLeft;
        broadcast_binary<T, T, T>(a, b, out, [left](T x, T y) {
          if (y >= sizeof(T) * 8) return T(0);
          return left ? static_cast<T>(x << y) : static_cast<T>(x >> y);
        }, pool);
      } else {
        return unsupported("BitShift needs unsigned integers");
      }
      break;
  }
  return Status::OK();
}

class BinaryArithKernel final : public Kernel {
 public:
  BinaryArithKernel(std::string name, Arith op) : name_(std::move(name)), op_(op) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 2, name_.c_str()));
    if (in[0].desc.dtype != in[1].desc.dtype)
      return invalid_model(name_ + ": input dtypes differ (" + dtype_name(in[0].desc.dtype) + " vs " +
                           dtype_name(in[1].desc.dtype) + ")");
    EZ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0].desc.shape, in[1].desc.shape));
    if (op_ == Arith::kPRelu && s != in[0].desc.shape)
      return invalid_model("PRelu: slope " + shape_to_string(in[1].desc.shape) + " does not broadcast to X " +
                           shape_to_string(in[0].desc.shape));
    (*out)[0] = {in[0].desc.dtype, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    Status s;
    EZ_DISPATCH_REAL(in[0]->dtype(), T, s = unsupported(name_ + " on " + dtype_name(in[0]->dtype())),
                     s = apply<T>(op_, *in[0], *in[1], out[0], ctx.pool));
    return s;
  }

 private:
  std::string name_;
  Arith op_;
};

// Pow: base and exponent may have different dtypes; the output has the base's dtype.
class PowKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 2, "Pow"));
    EZ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0].desc.shape, in[1].desc.shape));
    (*out)[0] = {in[0].desc.dtype, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& a = *in[0];
    const Tensor& b = *in[1];
    if (a.dtype() == DType::kFloat32 && b.numel() == 1 && b.at_double(0) == 2.0) {  // x^2: the common case
      map_unary<float, float>(a, out[0], [](float x) { return x * x; }, ctx.pool);
      return Status::OK();
    }
    Status s;
    EZ_DISPATCH_REAL(a.dtype(), T, s = unsupported(std::string("Pow base of dtype ") + dtype_name(a.dtype())), {
      EZ_DISPATCH_REAL(b.dtype(), E, s = unsupported(std::string("Pow exponent of dtype ") + dtype_name(b.dtype())), {
        broadcast_binary<T, E, T>(a, b, out[0], [](T x, E y) {
          return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
        }, ctx.pool);
      });
    });
    return s;
  }
};

}  // namespace

Result<KernelPtr> create_Add(const KernelConfig&) { return KernelPtr(new BinaryArithKernel("Add", Arith::kAdd)); }
Result<KernelPtr> create_Sub(const KernelConfig&) { return KernelPtr(new BinaryArithKernel("Sub", Arith::kSub)); }
Result<KernelPtr> create_Mul(const KernelConfig&) { return KernelPtr(new BinaryArithKernel("Mul", Arith::kMul)); }
Result<KernelPtr> create_Div(const KernelConfig&) { return KernelPtr(new BinaryArithKernel("Div", Arith::kDiv)); }
Result<KernelPtr> create_PRelu(const KernelConfig&) { return KernelPtr(new BinaryArithKernel("PRelu", Arith::kPRelu)); }
Result<KernelPtr> create_Pow(const KernelConfig&) { return KernelPtr(new PowKernel()); }

Result<KernelPtr> create_Mod(const KernelConfig& c) {
  return KernelPtr(new BinaryArithKernel("Mod", c.attrs.get_int("fmod", 0) ? Arith::kFmod : Arith::kMod));
}

Result<KernelPtr> create_BitShift(const KernelConfig& c) {
  const std::string dir = c.attrs.get_string("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") return invalid_model("BitShift: direction must be LEFT or RIGHT, got '" + dir + "'");
  return KernelPtr(new BinaryArithKernel("BitShift", dir == "LEFT" ? Arith::kShiftLeft : Arith::kShiftRight));
}

}  // namespace ez::ops
