// QuantizeLinear / DequantizeLinear (per tensor or per axis; uint8/int8/int32; round half to
// even, saturate) and DynamicQuantizeLinear (uint8, scale and zero point from the data range).
#include <cmath>
#include <limits>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

// Index of the scale / zero point for flat element i: per tensor, or along `axis`.
struct AxisIndexer {
  int64_t inner = 1, len = 1;
  bool per_axis = false;
  int64_t operator()(int64_t i) const { return per_axis ? (i / inner) % len : 0; }
};

Result<AxisIndexer> make_indexer(const Shape& x, const Shape& scale, int64_t axis, const char* op) {
  AxisIndexer ix;
  if (shape_numel(scale) <= 1 && scale.size() <= 1) return ix;
  if (scale.size() != 1) return unsupported(std::string(op) + ": blocked quantization (scale rank > 1)");
  EZ_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axis, static_cast<int64_t>(x.size()), op));
  if (x[a] != scale[0]) return invalid_model(std::string(op) + ": " + std::to_string(scale[0]) + " scales for axis of size " + std::to_string(x[a]));
  ix.per_axis = true;
  ix.len = x[a];
  for (size_t d = a + 1; d < x.size(); ++d) ix.inner *= x[d];
  return ix;
}

template <typename Q>
Q saturate_round(double v) {
  const double r = std::nearbyint(v);  // half to even
  return static_cast<Q>(std::max<double>(std::numeric_limits<Q>::min(), std::min<double>(std::numeric_limits<Q>::max(), r)));
}

class QuantizeKernel final : public Kernel {
 public:
  QuantizeKernel(bool quantize, int64_t axis) : quantize_(quantize), axis_(axis) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = quantize_ ? "QuantizeLinear" : "DequantizeLinear";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 3, op));
    EZ_ASSIGN_OR_RETURN(ix_, make_indexer(in[0].desc.shape, in[1].desc.shape, axis_, op));
    DType t;
    if (quantize_) {
      t = in.size() > 2 && in[2].present() ? in[2].desc.dtype : DType::kUInt8;
      if (t != DType::kUInt8 && t != DType::kInt8) return unsupported(std::string("QuantizeLinear to ") + dtype_name(t));
    } else {
      t = in[1].desc.dtype;
      EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kUInt8, DType::kInt8, DType::kInt32}, op, "x"));
    }
    (*out)[0] = {t, in[0].desc.shape};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const Tensor& x = *in[0];
    const Tensor& sc = *in[1];
    const Tensor* zp = in.size() > 2 ? in[2] : nullptr;
    Tensor& y = out[0];
    const int64_t n = x.numel();
    if (quantize_) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t k = ix_(i);
        // float32 division as the spec's reference and ONNX Runtime do, so ties round alike.
        const double q = std::nearbyint(static_cast<float>(x.at_double(i)) / static_cast<float>(sc.at_double(k))) +
                         (zp ? zp->at_double(k) : 0.0);
        if (y.dtype() == DType::kUInt8) y.data<uint8_t>()[i] = saturate_round<uint8_t>(q);
        else y.data<int8_t>()[i] = saturate_round<int8_t>(q);
      }
      return Status::OK();
    }
    Status s;
    EZ_DISPATCH_FLOAT(y.dtype(), T, s = unsupported("DequantizeLinear output dtype"), {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t k = ix_(i);
        y.data<T>()[i] = static_cast<T>((x.at_double(i) - (zp ? zp->at_double(k) : 0.0)) * sc.at_double(k));
      }
    });
    return s;
  }

 private:
  bool quantize_;
  int64_t axis_;
  AxisIndexer ix_;
};

class DynamicQuantizeKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, "DynamicQuantizeLinear"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32}, "DynamicQuantizeLinear", "x"));
    (*out)[0] = {DType::kUInt8, in[0].desc.shape};
    (*out)[1] = {DType::kFloat32, {}};
    (*out)[2] = {DType::kUInt8, {}};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const float* x = in[0]->data<float>();
    const int64_t n = in[0]->numel();
    // The range always includes 0 so that 0 is exactly representable (ONNX spec).
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    const float scale = (hi - lo) / 255.0f;
    const float zp_f = scale == 0 ? 0.0f : std::nearbyint(std::max(0.0f, std::min(255.0f, -lo / scale)));
    const uint8_t zp = static_cast<uint8_t>(zp_f);
    uint8_t* y = out[0].data<uint8_t>();
    for (int64_t i = 0; i < n; ++i)
      y[i] = scale == 0 ? zp : saturate_round<uint8_t>(std::nearbyint(x[i] / scale) + zp);
    out[1].data<float>()[0] = scale;
    out[2].data<uint8_t>()[0] = zp;
    return Status::OK();
  }
};

}  // namespace

Result<KernelPtr> create_QuantizeLinear(const KernelConfig& c) { return KernelPtr(new QuantizeKernel(true, c.attrs.get_int("axis", 1))); }
Result<KernelPtr> create_DequantizeLinear(const KernelConfig& c) { return KernelPtr(new QuantizeKernel(false, c.attrs.get_int("axis", 1))); }
Result<KernelPtr> create_DynamicQuantizeLinear(const KernelConfig&) { return KernelPtr(new DynamicQuantizeKernel()); }

}  // namespace ez::ops
