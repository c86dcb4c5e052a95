// Cast (and CastLike) between every numeric dtype edgezoo holds, half types through float.
// Float -> integer truncates toward zero (C++ static_cast, as ONNX Runtime does).
#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

template <typename S> inline double widen(S v) { return static_cast<double>(v); }
inline double widen(Half v) { return half_to_float(v.bits); }
inline double widen(BFloat16 v) { return bf16_to_float(v.bits); }

template <typename D, typename S>
inline D convert(S v) {
  if constexpr (std::is_same_v<D, Half>) {
    return Half{float_to_half(static_cast<float>(widen(v)))};
  } else if constexpr (std::is_same_v<D, BFloat16>) {
    return BFloat16{float_to_bf16(static_cast<float>(widen(v)))};
  } else if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>) {
    return static_cast<D>(widen(v));
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else {
    return static_cast<D>(v);
  }
}

class CastKernel final : public Kernel {
 public:
  CastKernel(DType to, bool like) : to_(to), like_(like) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, like_ ? 2 : 1, like_ ? 2 : 1, like_ ? "CastLike" : "Cast"));
    const DType to = like_ ? in[1].desc.dtype : to_;
    if (dtype_size(to) == 0 || dtype_size(in[0].desc.dtype) == 0)
      return unsupported(std::string("Cast from ") + dtype_name(in[0].desc.dtype) + " to " + dtype_name(to));
    (*out)[0] = {to, in[0].desc.shape};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    Tensor& y = out[0];
    Status s;
    EZ_DISPATCH_ALL(x.dtype(), S, s = unsupported("Cast source dtype"), {
      EZ_DISPATCH_ALL(y.dtype(), D, s = unsupported("Cast target dtype"),
                      map_unary<S, D>(x, y, [](S v) { return convert<D, S>(v); }, ctx.pool));
    });
    return s;
  }

 private:
  DType to_;
  bool like_;
};

}  // namespace

Result<KernelPtr> create_Cast(const KernelConfig& c) {
  DType to;
  const int64_t code = c.attrs.get_int("to", -1);
  if (!dtype_from_onnx(static_cast<int>(code), &to) || to == DType::kString)
    return unsupported("Cast to ONNX data type " + std::to_string(code));
  return KernelPtr(new CastKernel(to, false));
}

Result<KernelPtr> create_CastLike(const KernelConfig&) { return KernelPtr(new CastKernel(DType::kUndefined, true)); }

}  // namespace ez::ops
