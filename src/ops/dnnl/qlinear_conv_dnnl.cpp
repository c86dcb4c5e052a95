// QLinearConv through oneDNN's int8 convolution: u8/s8 activations, s8 weights packed once,
// int32 bias, per-channel output scales s_x*s_w[m]/s_y and the activation zero points as oneDNN
// zero-point attributes (padding then reads as x_zp, as ONNX requires; without padding it is
// folded into the bias instead). Weights with a zero
// point are shifted into s8 (w - w_zp) when every shifted value fits, so uint8 weights with
// zero point 128 run here too. Activations are NCHW, or NHWC under the channels_last attribute.
// oneDNN rounds float(acc + B) * multiplier (+ y_zp, as a post-op) to nearest even like the
// reference; results agree exactly except at rounding ties (at most one quantization step).
// A fused activation (see ops/quant/qlinear_conv.cpp) becomes post-ops that replay the unfused
// nodes: round and clamp to y's integer range, scale to float, the activation, scale to z (or,
// with output_float, a float32 destination). A channel multiplier (internal input 9) is a
// per-channel binary_mul post-op after the activation (in the float route, a step of the
// narrowing loop).
// 3x3 depthwise and dense layers in the float_accumulator form on NHWC run on edgezoo's own
// AVX-512 kernels instead (ops/x86/depthwise_int8.h, ops/x86/conv_int8.h), where the CPU has them.
// Anything else (non-constant weights or quantization parameters, shifted weights outside s8,
// ranks other than 3..5) runs on the reference kernel.
//
// Exactness. Without VNNI (AVX2 and plain AVX-512 CPUs), oneDNN's int8 kernels multiply with
// vpmaddubsw, which adds two u8 x s8 products into a saturating int16: 255 * (|w_a| + |w_b|)
// overflows once two weights of a channel reach 128 together, and results silently differ
// (ONNX Runtime's U8S8 kernels share the flaw: its quantization notes suggest reduce_range). With
// int8 (signed) activations oneDNN also halves the weights when it packs them, rounding the odd
// ones. And its AVX2 kernels apply the first of two same-algorithm eltwise post-ops' parameters
// to both (dnnl_util::has_repeated_eltwise). In any of these cases the convolution runs as an
// exact float32 convolution of the integers instead ("dnnl-f32"): x - x_zp and w - w_zp are
// small integers whose products and sums are exact in float32 below 2^24; the multiplier is a
// binary post-op, the activation a post-op, and the final rounding, clamping and zero point are
// applied while narrowing to the integer type, with the reference's formulas.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "ops/channels_last.h"
#include "ops/dnnl/dnnl_common.h"
#include "ops/nn/activation.h"
#include "ops/nn/conv_geometry.h"
#include "ops/op_util.h"
#include "ops/quant/qlinear_common.h"
#include "ops/registry.h"
#include "ops/x86/conv_int8.h"
#include "ops/x86/depthwise_int8.h"
#include "ops/x86/epilogue_params.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

memory::data_type dnnl_type(DType t) { return t == DType::kUInt8 ? memory::data_type::u8 : memory::data_type::s8; }

class DnnlQLinearConvKernel final : public Kernel {
 public:
  DnnlQLinearConvKernel(KernelPtr reference, const KernelConfig& c, ActivationSpec act)
      : ref_(std::move(reference)), attrs_(c.attrs), channels_last_(wants_channels_last(c.attrs)), group_(c.attrs.get_int("group", 1)),
        act_(act), act_scale_(c.attrs.get_float("activation_input_scale", 1.0f)),
        act_zp_(static_cast<int32_t>(c.attrs.get_int("activation_input_zero_point", 0))),
        act_signed_(c.attrs.get_int("activation_input_type", static_cast<int64_t>(DType::kUInt8)) == static_cast<int64_t>(DType::kInt8)),
        float_out_(c.attrs.get_int("output_float", 0) != 0), float_acc_(c.attrs.get_int("float_accumulator", 0) != 0),
        num_outputs_(c.num_outputs) {}

  const char* impl_name() const override {
    if (depthwise_) return depthwise_int8::DepthwiseInt8::name();
    if (conv_int8_) return conv_int8::ConvInt8::name();
    return use_ref_ ? "ref" : float_route_ ? "dnnl-f32" : "dnnl";
  }

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    built_ = false;
    depthwise_.reset();
    conv_int8_.reset();
    EZ_RETURN_IF_ERROR(ref_->prepare(in));
    std::vector<TensorDesc> out(num_outputs_);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    const size_t rank = in[0].desc.shape.size();
    bool constants = rank >= 3 && rank <= 5;
    for (size_t i = 1; i < in.size() && constants; ++i)
      if (in[i].present() && !in[i].value) constants = false;
    if (!constants) return Status::OK();
    x_ = channels_last_ ? nhwc_to_nchw(in[0].desc.shape) : in[0].desc.shape;
    y_ = channels_last_ ? nhwc_to_nchw(out[0].shape) : out[0].shape;
    const Shape& w = in[3].desc.shape;
    const int64_t M = w[0];
    auto param = [&](size_t i) -> const Tensor* { return i < in.size() && in[i].present() ? in[i].value : nullptr; };
    EZ_ASSIGN_OR_RETURN(qlinear::QParams xq, qlinear::read_qparams(*param(1), param(2), 1, "QLinearConv: x"));
    EZ_ASSIGN_OR_RETURN(qlinear::QParams wq, qlinear::read_qparams(*param(4), param(5), M, "QLinearConv: w"));
    EZ_ASSIGN_OR_RETURN(qlinear::QParams yq, qlinear::read_qparams(*param(6), param(7), 1, "QLinearConv: y"));
    extras_.clear();
    extra_mult_.clear();
    for (int k = 1; k < num_outputs_; ++k) {  // the float result quantized again (see ops/quant/qlinear_conv.cpp)
      const size_t at = 10 + 3 * static_cast<size_t>(k - 1);
      EZ_ASSIGN_OR_RETURN(qlinear::QParams q, qlinear::read_qparams(*param(at), param(at + 1), 1, "QLinearConv: extra output"));
      const Tensor* c = param(at + 2);
      extra_mult_.push_back(c ? std::vector<float>(c->data<float>(), c->data<float>() + c->numel()) : std::vector<float>());
      extras_.push_back({q.s(0), q.z(0), out[k].dtype == DType::kInt8, nullptr});
    }
    for (size_t k = 0; k < extras_.size(); ++k) extras_[k].channel_mult = extra_mult_[k].empty() ? nullptr : extra_mult_[k].data();
    // Weights minus their zero point must fit s8.
    const Tensor& wt = *in[3].value;
    const int64_t K = wt.numel() / M;
    EZ_ASSIGN_OR_RETURN(w_s8_, Tensor::allocate(DType::kInt8, w));
    std::vector<int32_t> row(K);
    for (int64_t m = 0; m < M; ++m) {
      qlinear::to_int32(wt, m * K, K, wq.z(m), row.data());
      for (int64_t k = 0; k < K; ++k) {
        if (row[k] < -128 || row[k] > 127) return Status::OK();  // reference kernel
        w_s8_.data<int8_t>()[m * K + k] = static_cast<int8_t>(row[k]);
      }
    }
    scales_.assign(M, 0.0f);
    bool common = true;
    for (int64_t m = 0; m < M; ++m) {
      // float32, as the reference computes it; to the activation's input scale when one is fused.
      scales_[m] = float_acc_ ? xq.s(0) * wq.s(m)
                              : xq.s(0) * wq.s(m) / (act_.kind == Activation::kNone || float_out_ ? yq.s(0) : act_scale_);
      common = common && scales_[m] == scales_[0];
    }
    if (common) scales_.resize(1);
    x_zp_ = xq.z(0);
    y_zp_ = yq.z(0);
    y_scale_ = yq.s(0);
    bias_values_.clear();
    if (const Tensor* b = param(8)) bias_values_.assign(b->data<int32_t>(), b->data<int32_t>() + M);
    channel_mult_.clear();
    if (const Tensor* c = param(9)) channel_mult_.assign(c->data<float>(), c->data<float>() + M);
    const size_t S = x_.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "QLinearConv"));
    EZ_ASSIGN_OR_RETURN(geom_, window_geometry(wa, Shape(x_.begin() + 2, x_.end()), "QLinearConv"));
    xt_ = dnnl_type(in[0].desc.dtype);
    yt_ = float_out_ ? memory::data_type::f32 : dnnl_type(out[0].dtype);
    if (float_out_ && !float_acc_) {  // y's integer type, which the fused DequantizeLinear read
      act_signed_ = param(7) && param(7)->dtype() == DType::kInt8;
      act_zp_ = y_zp_;
      act_scale_ = y_scale_;
    }
    // oneDNN 2.6's int8 convolutions wrote zeros with more than four eltwise post-ops.
    float_route_ = !int8_products_exact(w_s8_, in[0].desc.dtype) || post_ops().len() > 4 || has_repeated_eltwise(post_ops()) ||
                   float_route_forced();
    use_ref_ = false;
    if (prepare_depthwise(in[0].desc.dtype, out[0].dtype) || prepare_conv_int8(in[0].desc.dtype, out[0].dtype)) return Status::OK();
    // oneDNN sizes a primitive's threading for the threads it sees when it is created; inside an
    // OpenMP parallel region that is one, and int8 kernels so configured gave wrong results when
    // run on more threads. The session prepares on plain threads now; should a caller prepare
    // inside a parallel region anyway, the primitive is built at the first run instead.
    if (!omp_in_parallel()) build();
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (depthwise_) {
      depthwise_->run(in[0]->raw(), out[0].raw(), ctx.pool);
      return Status::OK();
    }
    if (conv_int8_) {
      std::vector<void*> extra_y;
      for (size_t k = 1; k < out.size(); ++k) extra_y.push_back(out[k].raw());
      conv_int8_->run(in[0]->data<uint8_t>(), out[0].raw(), extra_y, ctx.pool);
      return Status::OK();
    }
    if (!use_ref_ && !built_) build();
    if (use_ref_) return ref_->run(in, out, ctx);
    EZ_RETURN_IF_ERROR(float_route_ ? run_float_route(*in[0], out[0], ctx) : run_int8_route(in, out));
    for (size_t k = 1; k < out.size(); ++k) quantize_extra(out[0], extras_[k - 1], out[k], ctx);
    return Status::OK();
  }

  // An extra output from the float result y, as the Mul (if any) and QuantizeLinear nodes it
  // replaces would compute it.
  void quantize_extra(const Tensor& y, const conv_int8::Problem::Extra& e, Tensor& z, const RunContext& ctx) const {
    const float* v = y.data<float>();
    const int64_t n = y.numel();
    if (!e.channel_mult) return quantize_per_tensor(v, n, e.scale, e.zp, z.dtype(), z.raw(), ctx.pool);
    const int64_t M = y_[1], spatial = n / (y_[0] * M);
    constexpr int64_t kBlock = 4096;
    auto blocks = [&](int64_t b0, int64_t b1) {
      float scaled[kBlock];
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t i0 = b * kBlock, len = std::min(kBlock, n - i0);
        for (int64_t j = 0; j < len; ++j) {
          const int64_t i = i0 + j;
          scaled[j] = v[i] * e.channel_mult[channels_last_ ? i % M : (i / spatial) % M];
        }
        quantize_per_tensor(scaled, len, e.scale, e.zp, z.dtype(), static_cast<char*>(z.raw()) + i0, nullptr);
      }
    };
    const int64_t count = (n + kBlock - 1) / kBlock;
    if (ctx.pool && n > (1 << 16)) ctx.pool->parallel_for(count, 1, blocks);
    else blocks(0, count);
  }

 private:
  Status run_int8_route(const std::vector<const Tensor*>& in, std::vector<Tensor>& out) {
    return guard("QLinearConv", [&] {
      if (!args_.ready()) {
        args_.make(user_src_desc_, user_dst_desc_, packed_w_, src_reorder_ ? &src_buf_ : nullptr, dst_reorder_ ? &dst_buf_ : nullptr);
        if (!bias_values_.empty()) args_.map[DNNL_ARG_BIAS] = bias_;
        if (src_zp_attr_) args_.map[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = src_zp_mem_;
        if (!channel_mult_.empty()) args_.map[DNNL_ARG_ATTR_MULTIPLE_POST_OP(channel_mult_index_) | DNNL_ARG_SRC_1] = channel_mult_mem_;
      }
      args_.bind(in[0]->raw(), out[0].raw());
      dnnl::stream& stream = args_.stream;
      if (src_reorder_) to_src_.execute(stream, args_.user_src, src_buf_);
      prim_.execute(stream, args_.map);
      if (dst_reorder_) from_dst_.execute(stream, dst_buf_, args_.user_dst);
      stream.wait();
    });
  }

  void append_activation(dnnl::post_ops& ops) const { dnnl_util::append_activation(ops, act_); }

  // y_q - y_zp = clamp(round(acc * s_x*s_w/s_y), qmin - y_zp, qmax - y_zp), scaled to float by the
  // clip's own scale (the int8 kernels misbehaved, all zeros, with more than four post-ops).
  void append_requantize_to_y(dnnl::post_ops& ops) const {
    const float lo = act_signed_ ? -128.0f : 0.0f, hi = act_signed_ ? 127.0f : 255.0f;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_round, 0.0f, 0.0f);
    ops.append_eltwise(act_scale_, dnnl::algorithm::eltwise_clip, lo - act_zp_, hi - act_zp_);
  }

  // The int8 kernels' post-ops after the output scales.
  dnnl::post_ops post_ops() const {
    using A = dnnl::algorithm;
    dnnl::post_ops ops;
    if (float_acc_ || act_.kind != Activation::kNone || float_out_) {
      if (!float_acc_) append_requantize_to_y(ops);
      append_activation(ops);
      if (!channel_mult_.empty()) ops.append_binary(A::binary_mul, channel_mult_desc());
      if (!float_out_) ops.append_eltwise(1.0f, A::eltwise_linear, 1.0f / y_scale_, static_cast<float>(y_zp_));
    } else if (y_zp_ != 0) {  // + y_zp in float before oneDNN's final rounding and saturation
      ops.append_eltwise(1.0f, A::eltwise_linear, 1.0f, static_cast<float>(y_zp_));
    }
    return ops;
  }

  // The channel multiplier as a binary post-op operand: [1, M, 1, ...] plain.
  memory::desc channel_mult_desc() const {
    memory::dims dims(y_.size(), 1);
    dims[1] = static_cast<int64_t>(channel_mult_.size());
    return plain_desc(Shape(dims.begin(), dims.end()), memory::data_type::f32);
  }

  // EDGEZOO_INT8_FLOAT_ROUTE=1 takes the float route everywhere: tests cover it on VNNI CPUs,
  // which never need it.
  static bool float_route_forced() { return env_equals("EDGEZOO_INT8_FLOAT_ROUTE", "1"); }

  // The requantisation multiplier of every output channel (scales_ holds one when they are equal).
  std::vector<float> channel_scales() const {
    std::vector<float> mult(static_cast<size_t>(w_s8_.dim(0)));
    for (size_t m = 0; m < mult.size(); ++m) mult[m] = scales_[scales_.size() == 1 ? 0 : m];
    return mult;
  }

  // edgezoo's own kernel for 3x3 depthwise layers in the quantizer's float_accumulator form on
  // NHWC (ops/x86/depthwise_int8.h): oneDNN's int8 depthwise kernel is slower there than its
  // float one. EDGEZOO_DW_INT8=0 in the environment leaves them to oneDNN (for comparisons).
  bool prepare_depthwise(DType xt, DType yt) {
    const Shape& w = w_s8_.shape();
    if (!channels_last_ || x_.size() != 4 || !float_acc_ || float_out_ || group_ != x_[1] || w[0] != group_ || w[1] != 1 ||
        w[2] != 3 || w[3] != 3 || !x86::epilogue_supported(act_) || float_route_forced() || env_equals("EDGEZOO_DW_INT8", "0"))
      return false;
    const WindowGeometry& g = geom_;
    if (g.strides[0] != g.strides[1] || g.dilations[0] != 1 || g.dilations[1] != 1) return false;
    depthwise_int8::Problem p;
    p.n = x_[0], p.c = x_[1], p.in_h = x_[2], p.in_w = x_[3], p.out_h = y_[2], p.out_w = y_[3];
    p.stride = g.strides[0], p.pad_top = g.pad_begin[0], p.pad_left = g.pad_begin[1];
    p.x_signed = xt == DType::kInt8, p.y_signed = yt == DType::kInt8;
    p.x_zp = x_zp_, p.y_zp = y_zp_, p.y_scale = y_scale_;
    if (!depthwise_int8::supported(p)) return false;
    std::vector<int32_t> wi(w_s8_.data<int8_t>(), w_s8_.data<int8_t>() + w_s8_.numel());
    const std::vector<float> mult = channel_scales();
    auto k = std::make_unique<depthwise_int8::DepthwiseInt8>(p, wi.data(), bias_values_.empty() ? nullptr : bias_values_.data(),
                                                             mult.data(), channel_mult_.empty() ? nullptr : channel_mult_.data(), act_);
    if (!k->ok()) return false;
    depthwise_ = std::move(k);
    w_s8_ = Tensor();
    return true;
  }

  // edgezoo's own kernel for dense layers in the float_accumulator form on NHWC with uint8
  // activations (ops/x86/conv_int8.h), on VNNI CPUs: oneDNN's activation post-ops cost more than
  // the products there (1x1 64 -> 64 channels at 52x52 with SiLU: 107 us against 130, one
  // thread; the 12 -> 16 channel 3x3 stem at 208x208: see conv_int8.h). Not where oneDNN has AMX
  // for the reduction (kAmxMinReduction products and more): its tiles outrun the VNNI sums by
  // more than the epilogue saves (256 -> 256 channels at 13x13: 15 us against 43).
  // EDGEZOO_CONV_INT8=0 leaves them all to oneDNN (for comparisons).
  bool prepare_conv_int8(DType xt, DType yt) {
    const Shape& w = w_s8_.shape();
    if (!channels_last_ || x_.size() != 4 || !float_acc_ || group_ != 1 || xt != DType::kUInt8 || !x86::epilogue_supported(act_) ||
        float_route_forced() || env_equals("EDGEZOO_CONV_INT8", "0"))
      return false;
    const WindowGeometry& g = geom_;
    if (g.dilations[0] != 1 || g.dilations[1] != 1) return false;
    conv_int8::Problem p;
    p.n = x_[0], p.in_c = x_[1], p.in_h = x_[2], p.in_w = x_[3], p.out_c = w[0], p.out_h = y_[2], p.out_w = y_[3];
    p.kernel_h = w[2], p.kernel_w = w[3], p.stride_h = g.strides[0], p.stride_w = g.strides[1];
    p.pad_top = g.pad_begin[0], p.pad_left = g.pad_begin[1];
    p.x_zp = x_zp_, p.float_out = float_out_, p.y_signed = yt == DType::kInt8, p.y_zp = y_zp_, p.y_scale = y_scale_;
    p.extras = extras_;
    p.float_unused = attrs_.get_int("float_result_unused", 0) != 0;
    if (!conv_int8::supported(p) || (w_s8_.numel() / w[0] >= kAmxMinReduction && cpu_has_amx_int8())) return false;
    const std::vector<float> mult = channel_scales();
    auto k = std::make_unique<conv_int8::ConvInt8>(p, w_s8_.data<int8_t>(), bias_values_.empty() ? nullptr : bias_values_.data(),
                                                   mult.data(), channel_mult_.empty() ? nullptr : channel_mult_.data(), act_);
    if (!k->ok()) return false;
    conv_int8_ = std::move(k);
    w_s8_ = Tensor();
    return true;
  }

  // Creates the primitive and packs the weights; on failure the reference kernel runs instead.
  void build() {
    built_ = true;
    args_.reset();  // made again at the next run, for the new primitive and buffers
    if (float_route_) return build_float_route();
    const Shape& w = w_s8_.shape();
    const int64_t M = w[0];
    const WindowGeometry& g = geom_;
    Status s = guard("QLinearConv", [&] {
      const ConvWindow win = conv_window(g);
      const memory::dims wdims = grouped_weight_dims(w, group_);
      const memory::desc src_any(memory::dims(x_.begin(), x_.end()), xt_, memory::format_tag::any);
      const memory::desc dst_any(memory::dims(y_.begin(), y_.end()), yt_, memory::format_tag::any);
      const memory::desc wany(wdims, memory::data_type::s8, memory::format_tag::any);
      src_zp_attr_ = x_zp_ != 0 && !fold_zero_point_into_bias(win);
      const bool has_bias = !bias_values_.empty();
      const memory::desc bias = has_bias ? memory::desc({M}, memory::data_type::s32, memory::format_tag::a) : memory::desc();
      dnnl::primitive_attr attr;
      attr.set_output_scales(scales_.size() == 1 ? 0 : 1 << 1, scales_);
      if (src_zp_attr_) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
      attr.set_post_ops(post_ops());
      auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                  src_any, wany, bias, dst_any, win.strides, win.dilations, win.pad_begin, win.pad_end);
      pd_ = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
      skip_amx_for_short_reductions(pd_, w_s8_.numel() / M);
      prim_ = dnnl::convolution_forward(pd_);
      user_src_desc_ = user_desc(x_, xt_);
      user_dst_desc_ = user_desc(y_, yt_);
      src_reorder_ = pd_.src_desc() != user_src_desc_;
      dst_reorder_ = pd_.dst_desc() != user_dst_desc_;
      if (src_reorder_) {
        src_buf_ = memory(pd_.src_desc(), engine());
        to_src_ = dnnl::reorder(memory(user_src_desc_, engine(), nullptr), src_buf_);
      }
      if (dst_reorder_) {
        dst_buf_ = memory(pd_.dst_desc(), engine());
        from_dst_ = dnnl::reorder(dst_buf_, memory(user_dst_desc_, engine(), nullptr));
      }
      // Weights packed once (the reorder adds the s8-source compensation oneDNN needs).
      memory user_w(plain_desc(wdims, memory::data_type::s8), engine(), w_s8_.raw());
      packed_w_ = memory(pd_.weights_desc(), engine());
      dnnl::stream stream(engine());
      dnnl::reorder(user_w, packed_w_).execute(stream, user_w, packed_w_);
      if (has_bias) {
        bias_ = memory(pd_.bias_desc(), engine());
        std::copy(bias_values_.begin(), bias_values_.end(), static_cast<int32_t*>(bias_.get_data_handle()));
      }
      if (!channel_mult_.empty()) {
        const dnnl::post_ops ops = post_ops();
        for (int k = 0; k < ops.len(); ++k)
          if (ops.kind(k) == dnnl::primitive::kind::binary) channel_mult_index_ = k;
        channel_mult_mem_ = memory(channel_mult_desc(), engine());
        std::copy(channel_mult_.begin(), channel_mult_.end(), static_cast<float*>(channel_mult_mem_.get_data_handle()));
      }
      src_zp_mem_ = memory({{1}, memory::data_type::s32, memory::format_tag::x}, engine());
      *static_cast<int32_t*>(src_zp_mem_.get_data_handle()) = x_zp_;
      stream.wait();
    });
    w_s8_ = Tensor();  // packed now
    use_ref_ = !s.ok();  // oneDNN declined this configuration
  }

  // Without padding every window reads only real pixels, so sum((x - x_zp) * w) is
  // sum(x * w) - x_zp * sum(w[m]): the zero point becomes a constant per output channel, folded
  // into the int32 bias, and oneDNN runs without its zero-point attribute. Exact; and faster:
  // with that attribute oneDNN 2.6 picks, on AMX CPUs, a 1x1 kernel 2-2.5x slower than the one it
  // uses without (measured on a Sapphire Rapids-class Xeon, 64..256 channels). False (nothing
  // changed) with padding or when the folded bias would leave int32.
  bool fold_zero_point_into_bias(const ConvWindow& win) {
    for (size_t i = 0; i < win.pad_begin.size(); ++i)
      if (win.pad_begin[i] != 0 || win.pad_end[i] != 0) return false;
    const int64_t M = w_s8_.dim(0), K = w_s8_.numel() / M;
    std::vector<int32_t> folded(static_cast<size_t>(M));
    for (int64_t m = 0; m < M; ++m) {
      int64_t sum = 0;
      for (int64_t k = 0; k < K; ++k) sum += w_s8_.data<int8_t>()[m * K + k];
      const int64_t b = (bias_values_.empty() ? 0 : bias_values_[m]) - static_cast<int64_t>(x_zp_) * sum;
      if (b < INT32_MIN || b > INT32_MAX) return false;
      folded[m] = static_cast<int32_t>(b);
    }
    bias_values_ = std::move(folded);
    return true;
  }

  // Activations the float route leaves to its narrowing loop: their oneDNN form repeats the
  // clip that requantisation already uses.
  bool act_in_loop() const { return act_.kind == Activation::kClip || act_.kind == Activation::kHardSigmoid; }

  void build_float_route() {
    using A = dnnl::algorithm;
    const Shape& w = w_s8_.shape();
    const int64_t M = w[0];
    const WindowGeometry& g = geom_;
    Status s = guard("QLinearConv", [&] {
      const ConvWindow win = conv_window(g);
      const memory::dims wdims = grouped_weight_dims(w, group_);
      const auto f32 = memory::data_type::f32;
      user_src_desc_ = user_desc(x_, f32);
      user_dst_desc_ = user_desc(y_, f32);
      const memory::desc wany(wdims, f32, memory::format_tag::any);
      const bool has_bias = !bias_values_.empty();
      const memory::desc bias = has_bias ? memory::desc({M}, f32, memory::format_tag::a) : memory::desc();
      // acc * multiplier[m]; then, with an activation (or a float output) and unless the
      // accumulator goes to float directly: y_q - y_zp = clamp(round(.)) scaled to float; then the
      // activation.
      memory::dims scale_dims(y_.size(), 1);
      scale_dims[1] = static_cast<int64_t>(scales_.size()) == M ? M : 1;
      const memory::desc scale_desc = plain_desc(scale_dims, f32);
      dnnl::post_ops ops;
      ops.append_binary(A::binary_mul, scale_desc);
      if (!float_acc_ && (act_.kind != Activation::kNone || float_out_)) append_requantize_to_y(ops);
      if (!act_in_loop()) append_activation(ops);
      dnnl::primitive_attr attr;
      attr.set_post_ops(ops);
      auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                  user_src_desc_, wany, bias, user_dst_desc_, win.strides, win.dilations, win.pad_begin, win.pad_end);
      pd_ = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
      prim_ = dnnl::convolution_forward(pd_);
      Tensor wf = Tensor::zeros(DType::kFloat32, w);
      for (int64_t i = 0; i < wf.numel(); ++i) wf.data<float>()[i] = w_s8_.data<int8_t>()[i];
      memory user_w(plain_desc(wdims, f32), engine(), wf.raw());
      packed_w_ = memory(pd_.weights_desc(), engine());
      dnnl::stream stream(engine());
      dnnl::reorder(user_w, packed_w_).execute(stream, user_w, packed_w_);
      stream.wait();
      if (has_bias) {
        bias_ = memory(bias, engine());
        float* b = static_cast<float*>(bias_.get_data_handle());
        for (int64_t m = 0; m < M; ++m) b[m] = static_cast<float>(bias_values_[m]);
      }
      scales_mem_ = memory(scale_desc, engine());
      std::copy(scales_.begin(), scales_.end(), static_cast<float*>(scales_mem_.get_data_handle()));
      x_float_ = Tensor::zeros(DType::kFloat32, x_);
      if (!float_out_) y_float_ = Tensor::zeros(DType::kFloat32, y_);
    });
    w_s8_ = Tensor();
    use_ref_ = !s.ok();
  }

  Status run_float_route(const Tensor& x, Tensor& y, const RunContext& ctx) {
    const int64_t n = x.numel();
    float* xf = x_float_.data<float>();
    const float x_zp = static_cast<float>(x_zp_);
    auto widen = [&](int64_t b, int64_t e) {  // x - x_zp, exact
      if (x.dtype() == DType::kUInt8)
        for (int64_t i = b; i < e; ++i) xf[i] = static_cast<float>(x.data<uint8_t>()[i]) - x_zp;
      else
        for (int64_t i = b; i < e; ++i) xf[i] = static_cast<float>(x.data<int8_t>()[i]) - x_zp;
    };
    if (ctx.pool) ctx.pool->parallel_for(n, 1 << 14, widen);
    else widen(0, n);
    float* dst = float_out_ ? y.data<float>() : y_float_.data<float>();
    EZ_RETURN_IF_ERROR(guard("QLinearConv", [&] {
      dnnl::stream stream(engine());
      std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(user_src_desc_, engine(), xf)},
                                              {DNNL_ARG_WEIGHTS, packed_w_},
                                              {DNNL_ARG_DST, memory(user_dst_desc_, engine(), dst)},
                                              {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, scales_mem_}};
      if (!bias_values_.empty()) args[DNNL_ARG_BIAS] = bias_;
      prim_.execute(stream, args);
      stream.wait();
    }));
    const int64_t m = y.numel();
    const bool act = act_.kind != Activation::kNone;
    const bool in_loop = act && act_in_loop();
    const bool real_valued = act || float_acc_;  // dst holds real values (else y_q - y_zp)
    if (float_out_ && !in_loop) return Status::OK();  // (no channel multiplier with a float output)
    // The reference's last steps: activation (Clip / HardSigmoid), then z = saturate(round(v / s)
    // + zp) for real values, y = saturate(round(v) + zp) for requantised sums.
    const float s = y_scale_, zp = static_cast<float>(y_zp_);
    const bool u8 = y.dtype() == DType::kUInt8;
    const float lo = u8 ? 0.0f : -128.0f, hi = u8 ? 255.0f : 127.0f;
    // Output channel of flat index i, for the channel multiplier.
    const int64_t M = y_[1], spatial = m / (y_[0] * M);
    auto channel = [&](int64_t i) { return channels_last_ ? i % M : (i / spatial) % M; };
    auto narrow = [&](int64_t b, int64_t e) {
      if (in_loop) apply_activation(act_, dst + b, e - b);
      if (!channel_mult_.empty())
        for (int64_t i = b; i < e; ++i) dst[i] *= channel_mult_[channel(i)];
      if (float_out_) return;
      for (int64_t i = b; i < e; ++i) {
        const float q = std::min(hi, std::max(lo, std::nearbyint(real_valued ? dst[i] / s : dst[i]) + zp));
        if (u8) y.data<uint8_t>()[i] = static_cast<uint8_t>(q);
        else y.data<int8_t>()[i] = static_cast<int8_t>(q);
      }
    };
    if (ctx.pool) ctx.pool->parallel_for(m, 1 << 14, narrow);
    else narrow(0, m);
    return Status::OK();
  }

 private:
  memory::desc user_desc(const Shape& nchw, memory::data_type t) const {
    if (channels_last_) return memory::desc(memory::dims(nchw.begin(), nchw.end()), t, memory::format_tag::nhwc);
    return plain_desc(nchw, t);
  }

  KernelPtr ref_;  // shape logic and fallback
  Attributes attrs_;
  bool channels_last_;
  int64_t group_;
  bool use_ref_ = true, built_ = false;
  bool float_route_ = false;  // exact float32 convolution instead of int8 (see the top)
  Tensor x_float_, y_float_;  // its float copies of x - x_zp and of the result before narrowing
  memory scales_mem_;         // its multipliers (binary post-op)
  // What build() needs, gathered by prepare().
  Shape x_, y_;  // logical NCHW
  WindowGeometry geom_;
  Tensor w_s8_;  // weights minus their zero point, until packed
  std::vector<float> scales_;
  std::vector<int32_t> bias_values_;
  std::vector<float> channel_mult_;  // internal input 9, empty without
  int channel_mult_index_ = 0;        // its post-op's position (int8 route)
  memory channel_mult_mem_;
  memory::data_type xt_ = memory::data_type::u8, yt_ = memory::data_type::u8;
  int32_t x_zp_ = 0, y_zp_ = 0;
  float y_scale_ = 1.0f;
  ActivationSpec act_;
  float act_scale_;
  int32_t act_zp_;
  bool act_signed_;
  bool float_out_;
  bool float_acc_;  // "float_accumulator": the sum goes to float without an int8 y (see qlinear_conv.cpp)
  int num_outputs_;
  std::vector<conv_int8::Problem::Extra> extras_;  // outputs 1..: the float result quantized again
  std::vector<std::vector<float>> extra_mult_;     // their channel multipliers (empty: none)
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward prim_;
  memory packed_w_, bias_, src_zp_mem_;
  bool src_zp_attr_ = false;  // x_zp goes to oneDNN as an attribute (else it is in the bias)
  bool src_reorder_ = false, dst_reorder_ = false;
  memory::desc user_src_desc_, user_dst_desc_;
  memory src_buf_, dst_buf_;
  dnnl::reorder to_src_, from_dst_;
  RunArgs args_;  // the int8 route's, kept between runs
  // Set when prepare chose one of edgezoo's own kernels.
  std::unique_ptr<depthwise_int8::DepthwiseInt8> depthwise_;
  std::unique_ptr<conv_int8::ConvInt8> conv_int8_;
};

}  // namespace

Result<KernelPtr> create_QLinearConv_fast(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(ActivationSpec act, activation_from_attrs(c.attrs));
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlQLinearConvKernel(std::move(ref), c, act));
}

}  // namespace ez::ops
