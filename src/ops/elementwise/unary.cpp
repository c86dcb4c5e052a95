// Elementwise unary math and activations: one kernel, a function per op. Floats compute in their
// own precision; Abs/Neg/Sign also accept integers; Not takes bool; IsNaN/IsInf return bool.
#include <cmath>
#include <functional>

#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Un {
  kNeg, kAbs, kSqrt, kExp, kLog, kReciprocal, kFloor, kCeil, kRound, kSign, kErf,
  kSin, kCos, kTan, kAsin, kAcos, kAtan, kSinh, kCosh, kAsinh, kAcosh, kAtanh,
  kRelu, kLeakyRelu, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kSoftplus, kSoftsign,
  kElu, kSelu, kCelu, kThresholdedRelu, kMish, kSilu, kNot, kIsNaN, kIsInf,
};

struct Params {
  double alpha = 0, beta = 0, gamma = 0;
  bool inf_pos = true, inf_neg = true;
};

// Numerically safe sigmoid: exp of a non-positive number never overflows.
template <typename T>
inline T sigmoid(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T>
void apply_float(Un op, const Params& p, const Tensor& x, Tensor& y, const ThreadPool* pool) {
  const T a = static_cast<T>(p.alpha), b = static_cast<T>(p.beta), g = static_cast<T>(p.gamma);
  auto m = [&](auto f) { map_unary<T, T>(x, y, f, pool); };
  switch (op) {
    case Un::kNeg: m([](T v) { return -v; }); break;
    case Un::kAbs: m([](T v) { return std::fabs(v); }); break;
    case Un::kSqrt: m([](T v) { return std::sqrt(v); }); break;
    case Un::kExp: m([](T v) { return std::exp(v); }); break;
    case Un::kLog: m([](T v) { return std::log(v); }); break;
    case Un::kReciprocal: m([](T v) { return T(1) / v; }); break;
    case Un::kFloor: m([](T v) { return std::floor(v); }); break;
    case Un::kCeil: m([](T v) { return std::ceil(v); }); break;
    case Un::kRound: m([](T v) { return std::nearbyint(v); }); break;  // half to even (default rounding mode)
    case Un::kSign: m([](T v) { return static_cast<T>((v > 0) - (v < 0)); }); break;
    case Un::kErf: m([](T v) { return std::erf(v); }); break;
    case Un::kSin: m([](T v) { return std::sin(v); }); break;
    case Un::kCos: m([](T v) { return std::cos(v); }); break;
    case Un::kTan: m([](T v) { return std::tan(v); }); break;
    case Un::kAsin: m([](T v) { return std::asin(v); }); break;
    case Un::kAcos: m([](T v) { return std::acos(v); }); break;
    case Un::kAtan: m([](T v) { return std::atan(v); }); break;
    case Un::kSinh: m([](T v) { return std::sinh(v); }); break;
    case Un::kCosh: m([](T v) { return std::cosh(v); }); break;
    case Un::kAsinh: m([](T v) { return std::asinh(v); }); break;
    case Un::kAcosh: m([](T v) { return std::acosh(v); }); break;
    case Un::kAtanh: m([](T v) { return std::atanh(v); }); break;
    case Un::kRelu: m([](T v) { return v > 0 ? v : T(0); }); break;
    case Un::kLeakyRelu: m([a](T v) { return v >= 0 ? v : a * v; }); break;
    case Un::kSigmoid: m([](T v) { return sigmoid(v); }); break;
    case Un::kSilu: m([](T v) { return v * sigmoid(v); }); break;  // as Sigmoid then Mul compute it
    case Un::kTanh: m([](T v) { return std::tanh(v); }); break;
    case Un::kHardSigmoid: m([a, b](T v) { return std::max(T(0), std::min(T(1), a * v + b)); }); break;
    case Un::kHardSwish: m([](T v) { return v * std::max(T(0), std::min(T(1), v / T(6) + T(0.5))); }); break;
    case Un::kSoftplus: m([](T v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }); break;
    case Un::kSoftsign: m([](T v) { return v / (T(1) + std::fabs(v)); }); break;
    case Un::kElu: m([a](T v) { return v >= 0 ? v : a * (std::exp(v) - T(1)); }); break;
    case Un::kSelu: m([a, g](T v) { return v > 0 ? g * v : g * (a * std::exp(v) - a); }); break;
    case Un::kCelu: m([a](T v) { return std::max(T(0), v) + std::min(T(0), a * (std::exp(v / a) - T(1))); }); break;
    case Un::kThresholdedRelu: m([a](T v) { return v > a ? v : T(0); }); break;
    case Un::kMish: m([](T v) {
      const T sp = v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
      return v * std::tanh(sp);
    }); break;
    default: break;
  }
}

// v < 0 without a tautology warning for unsigned types.
template <typename T>
inline bool negative(T v) {
  if constexpr (std::is_signed_v<T>) return v < 0;
  else return false;
}

class UnaryKernel final : public Kernel {
 public:
  UnaryKernel(std::string name, Un op, Params p) : name_(std::move(name)), op_(op), p_(p) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, name_.c_str()));
    const DType t = in[0].desc.dtype;
    const bool to_bool = op_ == Un::kIsNaN || op_ == Un::kIsInf;
    if (op_ == Un::kNot) {
      if (t != DType::kBool) return invalid_model("Not needs a bool input");
    } else if (op_ == Un::kNeg || op_ == Un::kAbs || op_ == Un::kSign || op_ == Un::kRelu) {
      if (t == DType::kBool || !dtype_size(t) || t == DType::kFloat16 || t == DType::kBFloat16)
        return unsupported(name_ + " on " + dtype_name(t));
    } else if (t != DType::kFloat32 && t != DType::kFloat64) {
      return unsupported(name_ + " on " + dtype_name(t));
    }
    (*out)[0] = {to_bool ? DType::kBool : t, in[0].desc.shape};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    Tensor& y = out[0];
    const ThreadPool* pool = ctx.pool;
    if (op_ == Un::kNot) {
      map_unary<bool, bool>(x, y, [](bool v) { return !v; }, pool);
      return Status::OK();
    }
    if (op_ == Un::kIsNaN || op_ == Un::kIsInf) {
      const bool pos = p_.inf_pos, neg = p_.inf_neg, nan = op_ == Un::kIsNaN;
      EZ_DISPATCH_FLOAT(x.dtype(), T, , map_unary<T, bool>(x, y, [=](T v) {
        return nan ? std::isnan(v) : (std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
      }, pool));
      return Status::OK();
    }
    if (x.dtype() == DType::kFloat32) apply_float<float>(op_, p_, x, y, pool);
    else if (x.dtype() == DType::kFloat64) apply_float<double>(op_, p_, x, y, pool);
    else {  // integer Neg / Abs / Sign / Relu
      EZ_DISPATCH_REAL(x.dtype(), T, return unsupported(name_ + " on " + dtype_name(x.dtype())), {
        switch (op_) {
          case Un::kNeg: map_unary<T, T>(x, y, [](T v) { return static_cast<T>(-v); }, pool); break;
          case Un::kAbs: map_unary<T, T>(x, y, [](T v) { return static_cast<T>(negative(v) ? -v : v); }, pool); break;
          case Un::kSign: map_unary<T, T>(x, y, [](T v) { return static_cast<T>((v > 0) - negative(v)); }, pool); break;
          default: map_unary<T, T>(x, y, [](T v) { return v > 0 ? v : T(0); }, pool); break;
        }
      });
    }
    return Status::OK();
  }

 private:
  std::string name_;
  Un op_;
  Params p_;
};

KernelPtr make(const char* name, Un op, Params p = {}) { return KernelPtr(new UnaryKernel(name, op, p)); }

}  // namespace

#define EZ_UNARY(NAME) \
  Result<KernelPtr> create_##NAME(const KernelConfig&) { return make(#NAME, Un::k##NAME); }
EZ_UNARY(Neg) EZ_UNARY(Abs) EZ_UNARY(Sqrt) EZ_UNARY(Exp) EZ_UNARY(Log) EZ_UNARY(Reciprocal)
EZ_UNARY(Floor) EZ_UNARY(Ceil) EZ_UNARY(Round) EZ_UNARY(Sign) EZ_UNARY(Erf) EZ_UNARY(Sin) EZ_UNARY(Cos)
EZ_UNARY(Tan) EZ_UNARY(Asin) EZ_UNARY(Acos) EZ_UNARY(Atan) EZ_UNARY(Sinh) EZ_UNARY(Cosh) EZ_UNARY(Asinh)
EZ_UNARY(Acosh) EZ_UNARY(Atanh) EZ_UNARY(Relu) EZ_UNARY(Sigmoid) EZ_UNARY(Tanh) EZ_UNARY(HardSwish)
EZ_UNARY(Softplus) EZ_UNARY(Softsign) EZ_UNARY(Mish) EZ_UNARY(Silu) EZ_UNARY(Not) EZ_UNARY(IsNaN)
#undef EZ_UNARY

Result<KernelPtr> create_LeakyRelu(const KernelConfig& c) {
  return make("LeakyRelu", Un::kLeakyRelu, {c.attrs.get_float("alpha", 0.01f)});
}
Result<KernelPtr> create_HardSigmoid(const KernelConfig& c) {
  return make("HardSigmoid", Un::kHardSigmoid, {c.attrs.get_float("alpha", 0.2f), c.attrs.get_float("beta", 0.5f)});
}
Result<KernelPtr> create_Elu(const KernelConfig& c) { return make("Elu", Un::kElu, {c.attrs.get_float("alpha", 1.0f)}); }
Result<KernelPtr> create_Celu(const KernelConfig& c) { return make("Celu", Un::kCelu, {c.attrs.get_float("alpha", 1.0f)}); }
Result<KernelPtr> create_ThresholdedRelu(const KernelConfig& c) {
  return make("ThresholdedRelu", Un::kThresholdedRelu, {c.attrs.get_float("alpha", 1.0f)});
}
Result<KernelPtr> create_Selu(const KernelConfig& c) {
  Params p;
  p.alpha = c.attrs.get_float("alpha", 1.67326319217681884765625f);
  p.gamma = c.attrs.get_float("gamma", 1.05070102214813232421875f);
  return make("Selu", Un::kSelu, p);
}
Result<KernelPtr> create_IsInf(const KernelConfig& c) {
  Params p;
  p.inf_pos = c.attrs.get_int("detect_positive", 1) != 0;
  p.inf_neg = c.attrs.get_int("detect_negative", 1) != 0;
  return make("IsInf", Un::kIsInf, p);
}

}  // namespace ez::ops
