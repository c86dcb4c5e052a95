// QLinearConv (reference): uint8/int8 X and W with zero points, per-tensor or per-output-channel
// weight scale and zero point, optional int32 bias (scale s_x*s_w), requantised to y's dtype:
//   y = saturate(round((sum (x - x_zp)(w - w_zp) + B) * s_x*s_w[m]/s_y) + y_zp).
// Padding reads as x_zp (a zero of x - x_zp). Any spatial rank, groups, strides, dilations,
// explicit or automatic pads (ops/nn/conv_geometry). Per image and group: im2col of x - x_zp
// (exact in float), int32 products, requantisation per output channel.
//
// Internal extension written by the QDQ fusion pass (passes/fuse_qdq): a float activation that
// sat between this convolution's output and the next QuantizeLinear,
//   QLinearConv -> y_q -> DequantizeLinear -> act -> QuantizeLinear -> z_q,
// runs inside the kernel. The attributes "activation"(+"_alpha"/"_beta", FusedConv's encoding),
// "activation_input_scale", "activation_input_zero_point" and "activation_input_type" (dtype
// code) describe y_q; inputs 6 and 7 are then z's scale and zero point. Each value is computed
// exactly as the unfused nodes would: requantised to y, dequantised, activated, quantised to z.
// With the internal attribute "output_float"=1 the output is instead the float32 result of
// DequantizeLinear(y_q) [-> activation] (inputs 6 and 7 stay y's): for QLinearConv outputs that
// the graph only uses in float.
//
// Internal attribute "float_accumulator"=1 (convolutions whose float result the model never
// quantized, as ONNX Runtime's and edgezoo's quantizers write them: Q/DQ on the inputs only,
//   DequantizeLinear(x_q), DequantizeLinear(w_q) -> Conv [-> act] [-> QuantizeLinear -> z_q]):
// the sum is scaled straight to float, v = (sum + B) * s_x*s_w[m], then the activation, then
// either the float result (with output_float=1; inputs 6 and 7 are unused placeholders) or
// z = saturate(round(v / s_z) + z_zp) with inputs 6 and 7 as z's scale and zero point. An optional
// internal input 9, float [M], multiplies each output channel after the activation and before
// that quantization (a Mul by per-channel constants the fusion took in, as edgezoo's quantizer
// writes to equalize a depthwise convolution's input): v * c[m], as the Mul node computes it.
//
// Extra outputs (passes/fuse_conv_output_quantize, with float_accumulator and output_float): the
// float result v quantized again by each QuantizeLinear that read it, z_k = saturate(round(v *
// c_k[m] / s_k) + zp_k) with an optional channel multiplier c_k (the Mul by per-channel constants
// between, as edgezoo's quantizer equalizes a depthwise convolution's input), outputs 1..E; their
// scale, zero point and multiplier (or nothing) are inputs 10 + 3(k-1) .. 12 + 3(k-1), input 9
// empty. The float output stays for its other readers (a residual Add, say); when it has none left,
// the pass sets the hint "float_result_unused"=1 and kernels may leave output 0 unwritten (the
// hand-written VNNI kernel does; the reference and oneDNN routes write it all the same).
#include <algorithm>

#include "ops/nn/conv_geometry.h"
#include "ops/nn/activation.h"
#include "ops/nn/im2col.h"
#include "ops/quant/qlinear_common.h"

namespace ez::ops {
namespace {

using namespace qlinear;

class QLinearConvKernel final : public Kernel {
 public:
  explicit QLinearConvKernel(const KernelConfig& c, ActivationSpec act)
      : attrs_(c.attrs), group_(c.attrs.get_int("group", 1)), act_(act),
        act_scale_(c.attrs.get_float("activation_input_scale", 1.0f)),
        act_zp_(static_cast<int32_t>(c.attrs.get_int("activation_input_zero_point", 0))),
        act_type_(static_cast<DType>(c.attrs.get_int("activation_input_type", static_cast<int64_t>(DType::kUInt8)))),
        float_out_(c.attrs.get_int("output_float", 0) != 0), float_acc_(c.attrs.get_int("float_accumulator", 0) != 0) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const size_t extra = out->size() - 1;
    EZ_RETURN_IF_ERROR(expect_input_count(in, 8, 10 + 3 * static_cast<int>(extra), "QLinearConv"));
    if (extra > 0) {
      if (!float_acc_ || !float_out_ || in.size() != 10 + 3 * extra || (in[9].present()))
        return invalid_model("QLinearConv: extra outputs need float_accumulator, output_float, no channel multiplier and a "
                             "scale, zero point and multiplier or nothing each (inputs 10, 11, 12, ...)");
      for (size_t k = 0; k < extra; ++k) {
        EZ_RETURN_IF_ERROR(expect_dtype(in[10 + 3 * k], {DType::kFloat32}, "QLinearConv", "extra output scale"));
        EZ_RETURN_IF_ERROR(expect_dtype(in[11 + 3 * k], {DType::kUInt8, DType::kInt8}, "QLinearConv", "extra output zero point"));
        const KernelInput& c = in[12 + 3 * k];
        if (c.present() && (c.desc.dtype != DType::kFloat32 || c.desc.shape != Shape{in[3].desc.shape[0]}))
          return invalid_model("QLinearConv: an extra output's channel multiplier must be float32[M]");
      }
    }
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kUInt8, DType::kInt8}, "QLinearConv", "x"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[3], {DType::kUInt8, DType::kInt8}, "QLinearConv", "w"));
    for (size_t i : {1, 4, 6}) EZ_RETURN_IF_ERROR(expect_dtype(in[i], {DType::kFloat32}, "QLinearConv", "scale"));
    const Shape& x = in[0].desc.shape;
    const Shape& w = in[3].desc.shape;
    if (x.size() < 3 || w.size() != x.size())
      return invalid_model("QLinearConv: x " + shape_to_string(x) + " and w " + shape_to_string(w) + " ranks do not fit");
    if (group_ <= 0 || x[1] % group_ || w[0] % group_ || x[1] / group_ != w[1])
      return invalid_model("QLinearConv: x " + shape_to_string(x) + " and w " + shape_to_string(w) + " do not fit (group " +
                           std::to_string(group_) + ")");
    if (in.size() > 8 && in[8].present()) {
      EZ_RETURN_IF_ERROR(expect_dtype(in[8], {DType::kInt32}, "QLinearConv", "B"));
      if (in[8].desc.shape.size() != 1 || in[8].desc.shape[0] != w[0])
        return invalid_model("QLinearConv: bias shape " + shape_to_string(in[8].desc.shape) + " does not match " +
                             std::to_string(w[0]) + " output channels");
    }
    const DType yt = output_dtype(in, 7);
    if (!is_8bit(yt)) return invalid_model("QLinearConv: y_zero_point must be uint8 or int8");
    if (act_.kind != Activation::kNone && !float_out_ && !float_acc_ && (!is_8bit(act_type_) || !(act_scale_ > 0)))
      return invalid_model("QLinearConv: bad activation_input_type / activation_input_scale");
    const size_t S = x.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "QLinearConv"));
    for (size_t i = 0; i < S; ++i)
      if (wa.kernel[i] != w[i + 2]) return invalid_model("QLinearConv: kernel_shape does not match w " + shape_to_string(w));
    EZ_ASSIGN_OR_RETURN(geom_, window_geometry(wa, Shape(x.begin() + 2, x.end()), "QLinearConv"));
    Shape os = {x[0], w[0]};
    os.insert(os.end(), geom_.out.begin(), geom_.out.end());
    (*out)[0] = {float_out_ ? DType::kFloat32 : yt, os};
    for (size_t k = 0; k < extra; ++k) (*out)[1 + k] = {in[11 + 3 * k].desc.dtype, os};
    y_type_ = yt;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    const Tensor& w = *in[3];
    const Tensor* bias = in.size() > 8 ? in[8] : nullptr;
    const float* channel_mult = in.size() > 9 && in[9] ? in[9]->data<float>() : nullptr;
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), Cg = C / group_, Mg = M / group_;
    const int64_t is = geom_.in_size(), os = geom_.out_size(), K = Cg * geom_.kernel_size();
    EZ_ASSIGN_OR_RETURN(QParams xq, read_qparams(*in[1], in[2], 1, "QLinearConv: x"));
    EZ_ASSIGN_OR_RETURN(QParams wq, read_qparams(*in[4], in[5], M, "QLinearConv: w"));
    EZ_ASSIGN_OR_RETURN(QParams yq, read_qparams(*in[6], in[7], 1, "QLinearConv: y"));
    std::vector<QParams> extra_q;  // the extra outputs' (see the top)
    std::vector<const float*> extra_mult;
    for (size_t k = 1; k < out.size(); ++k) {
      EZ_ASSIGN_OR_RETURN(QParams q, read_qparams(*in[10 + 3 * (k - 1)], in[11 + 3 * (k - 1)], 1, "QLinearConv: extra output"));
      extra_q.push_back(q);
      extra_mult.push_back(in[12 + 3 * (k - 1)] && !in[12 + 3 * (k - 1)]->empty() ? in[12 + 3 * (k - 1)]->data<float>() : nullptr);
    }
    // Weights minus their zero point, and the per-channel requantisation multipliers.
    std::vector<int32_t> wi(M * K);
    std::vector<float> mult(M);
    for (int64_t m = 0; m < M; ++m) {
      to_int32(w, m * K, K, wq.z(m), wi.data() + m * K);
      mult[m] = float_acc_ ? xq.s(0) * wq.s(m)
                           : xq.s(0) * wq.s(m) / (act_.kind == Activation::kNone || float_out_ ? yq.s(0) : act_scale_);
    }
    Tensor& y = out[0];
    const size_t ye = dtype_size(y.dtype());
    std::vector<float> xf(Cg * is), colf(K * os);
    std::vector<int32_t> col(K * os), xi(Cg * is), acc(Mg * os);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < group_; ++g) {
        to_int32(x, (n * C + g * Cg) * is, Cg * is, xq.z(0), xi.data());
        std::copy(xi.begin(), xi.end(), xf.begin());  // |x - x_zp| <= 255: exact in float
        im2col(xf.data(), Cg, geom_, colf.data());
        std::copy(colf.begin(), colf.end(), col.begin());
        auto rows = [&](int64_t m0, int64_t m1) {
          int_gemm(m1 - m0, os, K, wi.data() + (g * Mg + m0) * K, col.data(), acc.data() + m0 * os);
          for (int64_t m = m0; m < m1; ++m) {
            const int64_t oc = g * Mg + m;
            int32_t* a = acc.data() + m * os;
            if (bias) {
              const int32_t b = bias->data<int32_t>()[oc];
              for (int64_t i = 0; i < os; ++i) a[i] += b;
            }
            char* dst = static_cast<char*>(y.raw()) + ((n * M + oc) * os) * ye;
            if (float_acc_) {
              float_accumulator_row(a, os, mult[oc], channel_mult ? channel_mult + oc : nullptr, yq, y.dtype(), dst);
              std::vector<float> scaled;
              for (size_t k = 0; k < extra_q.size(); ++k) {  // from the float result just written (output_float)
                const float* v = reinterpret_cast<const float*>(dst);
                if (extra_mult[k]) {  // the Mul node's product, then the QuantizeLinear
                  scaled.assign(v, v + os);
                  for (float& f : scaled) f *= extra_mult[k][oc];
                  v = scaled.data();
                }
                quantize_row(v, os, extra_q[k], out[1 + k].dtype(), static_cast<char*>(out[1 + k].raw()) + (n * M + oc) * os);
              }
            }
            else if (float_out_) dequantize_row(a, os, mult[oc], yq, reinterpret_cast<float*>(dst));
            else if (act_.kind == Activation::kNone) requantize_row(a, os, mult[oc], yq.z(0), y.dtype(), dst);
            else activate_row(a, os, mult[oc], yq, y.dtype(), dst);
          }
        };
        if (ctx.pool && Mg * os * K > (1 << 16)) ctx.pool->parallel_for(Mg, 1, rows);
        else rows(0, Mg);
      }
    return Status::OK();
  }

 private:
  // acc -> float -> [act] [-> * channel multiplier] -> float or z_q (float_accumulator).
  void float_accumulator_row(const int32_t* acc, int64_t n, float multiplier, const float* channel_mult, const QParams& zq,
                             DType zt, void* dst) const {
    float* f = float_out_ ? static_cast<float*>(dst) : nullptr;
    std::vector<float> tmp;
    if (!f) {
      tmp.resize(n);
      f = tmp.data();
    }
    for (int64_t i = 0; i < n; ++i) f[i] = static_cast<float>(acc[i]) * multiplier;
    apply_activation(act_, f, n);
    if (channel_mult)
      for (int64_t i = 0; i < n; ++i) f[i] *= *channel_mult;
    if (!float_out_) quantize_row(f, n, zq, zt, dst);
  }

  // QuantizeLinear's formula: saturate(round(v / s) + zp).
  static void quantize_row(const float* f, int64_t n, const QParams& zq, DType zt, void* dst) {
    const float s = zq.s(0), z = static_cast<float>(zq.z(0));
    const float lo = zt == DType::kUInt8 ? 0.0f : -128.0f, hi = zt == DType::kUInt8 ? 255.0f : 127.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float q = std::min(hi, std::max(lo, std::nearbyint(f[i] / s) + z));
      if (zt == DType::kUInt8) static_cast<uint8_t*>(dst)[i] = static_cast<uint8_t>(q);
      else static_cast<int8_t*>(dst)[i] = static_cast<int8_t>(q);
    }
  }

  // acc -> y_q -> float [-> act]
  void dequantize_row(const int32_t* acc, int64_t n, float multiplier, const QParams& yq, float* dst) const {
    const int32_t z = yq.z(0);
    for (int64_t i = 0; i < n; ++i) {
      const int32_t q = y_type_ == DType::kUInt8 ? requantize<uint8_t>(acc[i], multiplier, z) : requantize<int8_t>(acc[i], multiplier, z);
      dst[i] = static_cast<float>(q - z) * yq.s(0);
    }
    apply_activation(act_, dst, n);
  }

  // acc -> y_q -> float -> act -> z_q, as the unfused DequantizeLinear, activation and
  // QuantizeLinear nodes compute it.
  void activate_row(const int32_t* acc, int64_t n, float multiplier, const QParams& zq, DType zt, void* dst) const {
    std::vector<float> f(n);
    for (int64_t i = 0; i < n; ++i) {
      const int32_t q = act_type_ == DType::kUInt8 ? requantize<uint8_t>(acc[i], multiplier, act_zp_)
                                                   : requantize<int8_t>(acc[i], multiplier, act_zp_);
      f[i] = static_cast<float>(q - act_zp_) * act_scale_;
    }
    apply_activation(act_, f.data(), n);
    quantize_row(f.data(), n, zq, zt, dst);
  }

  Attributes attrs_;
  int64_t group_;
  WindowGeometry geom_;
  ActivationSpec act_;
  float act_scale_;
  int32_t act_zp_;
  DType act_type_;
  bool float_out_, float_acc_;
  DType y_type_ = DType::kUInt8;
};

}  // namespace

Result<KernelPtr> create_QLinearConv(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(ActivationSpec act, activation_from_attrs(c.attrs));
  return KernelPtr(new QLinearConvKernel(c, act));
}

}  // namespace ez::ops
