// ConvInteger through oneDNN's int8 convolution: the operator of ONNX Runtime's dynamically
// quantized models (DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul by the scales), where the
// activation's zero point is computed at run time from the data. u8/s8 activations, s8 weights
// packed once, an exact int32 result: no output scale, no post-op.
// The weights' zero point: when w - w_zp fits s8 (int8 weights, uint8 ones with zero point 128)
// those are the weights. Otherwise (ONNX Runtime's uint8 weights with their own zero point) the
// weights are w - t with t = 128 for uint8, 0 for int8, which always fits, and
//   sum((x - x_zp)(w - w_zp)) = sum((x - x_zp)(w - t)) + (t - w_zp[m]) * sum(x - x_zp),
// the last sum taken over the window (and the group's channels) by a second, one-channel-per-group
// convolution with weights of ones; the product is added per output channel.
// The run-time zero point: without padding, sum((x - x_zp) * w) = sum(x * w) - x_zp * sum(w[m]),
// an int32 bias per output channel recomputed when x_zp changes (M multiplications); with padding
// (which must read as x_zp) oneDNN's run-time zero-point attribute.
// Declines (reference kernel) when the weights or their zero points are not constants, when
// oneDNN's products would not be exact on this CPU (dnnl_util::int8_products_exact), or for
// ranks other than 3..5. The result equals the
// reference bit for bit, sums beyond float's 2^24 included (the test's reach 7.4e7; with no
// output scale the int32 sum is written as it is; ops_quant_qlinear_test.cpp).
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "ops/channels_last.h"
#include "ops/dnnl/dnnl_common.h"
#include "ops/nn/conv_geometry.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

memory::data_type int8_type(DType t) { return t == DType::kUInt8 ? memory::data_type::u8 : memory::data_type::s8; }

class DnnlConvIntegerKernel final : public Kernel {
 public:
  DnnlConvIntegerKernel(KernelPtr reference, const KernelConfig& c)
      : ref_(std::move(reference)), attrs_(c.attrs), channels_last_(wants_channels_last(c.attrs)), group_(c.attrs.get_int("group", 1)),
        output_float_(c.attrs.get_int("output_float", 0) != 0) {}

  const char* impl_name() const override { return use_ref_ ? "ref" : "dnnl"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    current_zp_ = INT64_MIN;  // the biases made below are written by set_zero_point
    EZ_RETURN_IF_ERROR(ref_->prepare(in));
    std::vector<TensorDesc> out(1);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    const Shape x = channels_last_ ? nhwc_to_nchw(in[0].desc.shape) : in[0].desc.shape;
    if (x.size() < 3 || x.size() > 5 || !in[1].value || (in.size() > 3 && in[3].present() && !in[3].value)) return Status::OK();
    const bool has_bias = output_float_ && in.size() > 5 && in[5].present();
    if (has_bias && !in[5].value) return Status::OK();
    out_bias_.clear();
    if (has_bias) out_bias_.assign(in[5].value->data<float>(), in[5].value->data<float>() + in[5].value->numel());
    x_ = x;
    y_ = channels_last_ ? nhwc_to_nchw(out[0].shape) : out[0].shape;
    const Tensor& w = *in[1].value;
    const int64_t M = w.dim(0), K = w.numel() / M;
    const Tensor* wzp = in.size() > 3 && in[3].present() ? in[3].value : nullptr;
    if (wzp && wzp->numel() != 1 && wzp->numel() != M) return Status::OK();  // the reference names the error
    auto w_zp = [&](int64_t m) { return wzp ? wzp->at_int(wzp->numel() == 1 ? 0 : m) : int64_t(0); };
    bool fits = true;
    for (int64_t m = 0; m < M && fits; ++m)
      for (int64_t k = 0; k < K && fits; ++k) {
        const int64_t v = w.at_int(m * K + k) - w_zp(m);
        fits = v >= -128 && v <= 127;
      }
    const int64_t t = in[1].desc.dtype == DType::kUInt8 ? 128 : 0;
    EZ_ASSIGN_OR_RETURN(Tensor ws8, Tensor::allocate(DType::kInt8, w.shape()));
    w_sum_.assign(static_cast<size_t>(M), 0);
    correction_.assign(static_cast<size_t>(M), 0);
    bool corrected = false;
    for (int64_t m = 0; m < M; ++m) {
      const int64_t shift = fits ? w_zp(m) : t;
      correction_[m] = static_cast<int32_t>(shift - w_zp(m));  // within [-128, 128]
      corrected = corrected || correction_[m] != 0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t v = w.at_int(m * K + k) - shift;
        ws8.data<int8_t>()[m * K + k] = static_cast<int8_t>(v);
        w_sum_[m] += v;
      }
    }
    if (!corrected) correction_.clear();
    // finish() adds (t - w_zp[m]) * S to the sums in int32: |acc| + |c * S| <= K * 255 * 256 stays
    // below 2^31 for K < 32896 products per output (beyond: the reference kernel).
    if (corrected && K * 255 * 256 >= (int64_t(1) << 31)) return Status::OK();
    if (!int8_products_exact(ws8, in[0].desc.dtype)) return Status::OK();
    const size_t S = x.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.shape().begin() + 2, w.shape().end()), "ConvInteger"));
    EZ_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(wa, Shape(x.begin() + 2, x.end()), "ConvInteger"));
    const ConvWindow win = conv_window(g);
    fold_zp_ = true;
    for (size_t i = 0; i < win.pad_begin.size(); ++i) fold_zp_ = fold_zp_ && win.pad_begin[i] == 0 && win.pad_end[i] == 0;
    // Primitives made inside an OpenMP region misbehave on more threads (qlinear_conv_dnnl.cpp);
    // sessions prepare on plain threads, so this only guards against other callers.
    if (omp_in_parallel()) return Status::OK();
    Status s = guard("ConvInteger", [&] {
      const memory::dims wdims = grouped_weight_dims(w.shape(), group_);
      const memory::desc src_any(memory::dims(x_.begin(), x_.end()), int8_type(in[0].desc.dtype), memory::format_tag::any);
      const memory::desc dst_any(memory::dims(y_.begin(), y_.end()), memory::data_type::s32, memory::format_tag::any);
      const memory::desc wany(wdims, memory::data_type::s8, memory::format_tag::any);
      const memory::desc bias = fold_zp_ ? memory::desc({M}, memory::data_type::s32, memory::format_tag::a) : memory::desc();
      dnnl::primitive_attr attr;
      if (!fold_zp_) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
      auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                  src_any, wany, bias, dst_any, win.strides, win.dilations, win.pad_begin, win.pad_end);
      pd_ = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
      skip_amx_for_short_reductions(pd_, K);
      prim_ = dnnl::convolution_forward(pd_);
      const memory::desc user_src = user_desc(x_, int8_type(in[0].desc.dtype)), user_dst = user_desc(y_, memory::data_type::s32);
      src_reorder_ = pd_.src_desc() != user_src;
      dst_reorder_ = pd_.dst_desc() != user_dst;
      if (src_reorder_) src_buf_ = memory(pd_.src_desc(), engine());
      if (dst_reorder_) dst_buf_ = memory(pd_.dst_desc(), engine());
      memory user_w(plain_desc(Shape(wdims.begin(), wdims.end()), memory::data_type::s8), engine(), ws8.raw());
      packed_w_ = memory(pd_.weights_desc(), engine());
      args_.make(user_src, user_dst, packed_w_, src_reorder_ ? &src_buf_ : nullptr, dst_reorder_ ? &dst_buf_ : nullptr);
      if (!src_reorder_) src_buf_ = args_.user_src;  // what the window sums read
      if (src_reorder_) to_src_ = dnnl::reorder(args_.user_src, src_buf_);
      if (dst_reorder_) from_dst_ = dnnl::reorder(dst_buf_, args_.user_dst);
      dnnl::reorder(user_w, packed_w_).execute(args_.stream, user_w, packed_w_);
      args_.stream.wait();
      zp_mem_ = memory({{1}, memory::data_type::s32, memory::format_tag::x}, engine());
      if (fold_zp_) {
        bias_ = memory(bias, engine());
        args_.map[DNNL_ARG_BIAS] = bias_;
      } else {
        args_.map[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zp_mem_;
      }
      if (!correction_.empty()) build_window_sum(w.shape(), win);
      set_zero_point(0);
    });
    use_ref_ = !s.ok();
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return ref_->run(in, out, ctx);
    const Tensor* xzp = in.size() > 2 ? in[2] : nullptr;
    if (xzp && xzp->numel() > 1) return invalid_argument("ConvInteger: x_zero_point must be a scalar");
    const int64_t zp = xzp && xzp->numel() == 1 ? xzp->at_int(0) : 0;
    if (!set_zero_point(zp)) return ref_->run(in, out, ctx);  // the folded bias would leave int32
    return guard("ConvInteger", [&] {
      args_.bind(in[0]->raw(), out[0].raw());
      dnnl::stream& stream = args_.stream;
      if (src_reorder_) to_src_.execute(stream, args_.user_src, src_buf_);
      prim_.execute(stream, args_.map);
      if (!correction_.empty()) {
        sum_prim_.execute(stream, sum_args_);
        if (sums_native_ != sums_) sums_to_plain_.execute(stream, sums_native_, sums_);
      }
      if (dst_reorder_) from_dst_.execute(stream, dst_buf_, args_.user_dst);
      stream.wait();
      if (!correction_.empty() || output_float_) finish(out[0], output_float_ ? in[4]->data<float>()[0] : 1.0f, ctx);
    });
  }

 private:
  // The window sums of x - x_zp per group, S[n, g, ...]: the same window over the same (packed)
  // source, weights of ones, one output channel per group, plain int32 output.
  void build_window_sum(const Shape& w, const ConvWindow& win) {
    const int64_t G = group_, Cg = w[1];
    Shape ones_shape = {G, Cg};
    ones_shape.insert(ones_shape.end(), w.begin() + 2, w.end());
    const memory::dims odims = grouped_weight_dims(ones_shape, G);
    Shape sum_shape = y_;
    sum_shape[1] = G;
    window_taps_ = shape_numel(ones_shape) / G;
    const memory::desc wany(odims, memory::data_type::s8, memory::format_tag::any);
    // Its own layout (a plain one sent oneDNN to its reference kernel), reordered to plain after.
    const memory::desc dst(memory::dims(sum_shape.begin(), sum_shape.end()), memory::data_type::s32, memory::format_tag::any);
    const memory::desc plain = plain_desc(sum_shape, memory::data_type::s32);
    const memory::desc bias = fold_zp_ ? memory::desc({G}, memory::data_type::s32, memory::format_tag::a) : memory::desc();
    dnnl::primitive_attr attr;
    if (!fold_zp_) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                pd_.src_desc(), wany, bias, dst, win.strides, win.dilations, win.pad_begin, win.pad_end);
    auto pd = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
    sum_prim_ = dnnl::convolution_forward(pd);
    Tensor ones = Tensor::zeros(DType::kInt8, ones_shape);
    std::fill(ones.data<int8_t>(), ones.data<int8_t>() + ones.numel(), int8_t(1));
    memory user(plain_desc(Shape(odims.begin(), odims.end()), memory::data_type::s8), engine(), ones.raw());
    sum_w_ = memory(pd.weights_desc(), engine());
    dnnl::reorder(user, sum_w_).execute(args_.stream, user, sum_w_);
    args_.stream.wait();
    sums_ = memory(plain, engine());
    sums_native_ = pd.dst_desc() == plain ? sums_ : memory(pd.dst_desc(), engine());
    if (pd.dst_desc() != plain) sums_to_plain_ = dnnl::reorder(sums_native_, sums_);
    sum_args_ = {{DNNL_ARG_SRC, src_buf_}, {DNNL_ARG_WEIGHTS, sum_w_}, {DNNL_ARG_DST, sums_native_}};
    if (fold_zp_) {
      sum_bias_ = memory(bias, engine());
      sum_args_[DNNL_ARG_BIAS] = sum_bias_;
    } else {
      sum_args_[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zp_mem_;
    }
  }

  // One pass over the int32 sums the primitive wrote into y: the window-sum correction,
  // acc[n, m, ...] += (t - w_zp[m]) * S[n, group of m, ...] (S plain NCHW), and with output_float
  // y = float(acc) * s + bias[m] in place (y has the int32 sums' size), the float operations of the
  // Cast, Mul and Add nodes it replaces, in their order. y NCHW or NHWC, a row at a time (a pixel's
  // M channels, or a channel's plane): loops without divisions or branches, over int32 (in range,
  // see prepare) and float, that the compiler vectorises.
  void finish(Tensor& y, float s, const RunContext& ctx) const {
    const int64_t N = y_[0], M = y_[1], G = group_, per_group = M / G, spatial = shape_numel(y_) / (N * M);
    const int32_t* S = correction_.empty() ? nullptr : static_cast<const int32_t*>(sums_.get_data_handle());
    int32_t* acc = static_cast<int32_t*>(y.raw());
    const int32_t* corr = correction_.data();
    const float* bias = out_bias_.empty() ? nullptr : out_bias_.data();
    const bool to_float = output_float_;
    // Row [e, e + len): corrected by c[k] * sum[k * ds] (no correction without c), then with
    // output_float converted; bias b[k * db] (none without b). The same storage read as int32 and
    // written as float: each element read, then written.
    auto row = [=](int64_t e, int64_t len, const int32_t* c, int32_t c_one, const int32_t* sum, int64_t ds, const float* b,
                   int64_t db) {
      int32_t* a = acc + e;
      float* f = reinterpret_cast<float*>(acc + e);
      // One loop per combination, each a single read-modify-write of the row.
      auto loop = [&](auto corrected, auto biased) {
        for (int64_t k = 0; k < len; ++k) {
          int32_t v = a[k];
          if (corrected) v += (c ? c[k] : c_one) * sum[k * ds];
          if (!to_float) {
            a[k] = v;
            continue;
          }
          const float x = static_cast<float>(v) * s;
          f[k] = biased ? x + b[k * db] : x;
        }
      };
      if (sum && b) loop(std::true_type{}, std::true_type{});
      else if (sum) loop(std::true_type{}, std::false_type{});
      else if (b) loop(std::false_type{}, std::true_type{});
      else loop(std::false_type{}, std::false_type{});
    };
    auto pixels = [=](int64_t p0, int64_t p1) {  // NHWC: p = n * spatial + i, a row of M channels
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / spatial, i = p % spatial;
        for (int64_t g = 0; g < G; ++g) {  // one window sum per group, the same for its channels
          const int64_t m0 = g * per_group;
          row(p * M + m0, per_group, corr + m0, 0, S ? S + (n * G + g) * spatial + i : nullptr, 0, bias ? bias + m0 : nullptr, 1);
        }
      }
    };
    auto planes = [=](int64_t p0, int64_t p1) {  // NCHW: p = n * M + m, a plane of `spatial` values
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / M, m = p % M;
        row(p * spatial, spatial, nullptr, S ? corr[m] : 0, S ? S + (n * G + m / per_group) * spatial : nullptr, 1,
            bias ? bias + m : nullptr, 0);
      }
    };
    if (channels_last_) {
      if (ctx.pool) ctx.pool->parallel_for(N * spatial, 64, pixels);
      else pixels(0, N * spatial);
    } else if (ctx.pool) {
      ctx.pool->parallel_for(N * M, 1, planes);
    } else {
      planes(0, N * M);
    }
  }

  memory::desc user_desc(const Shape& nchw, memory::data_type t) const {
    if (!channels_last_) return plain_desc(nchw, t);
    static const memory::format_tag tags[] = {memory::format_tag::nwc, memory::format_tag::nhwc, memory::format_tag::ndhwc};
    return memory::desc(memory::dims(nchw.begin(), nchw.end()), t, tags[nchw.size() - 3]);
  }

  // Makes the primitives' zero point (attribute or folded biases) `zp`; false when a folded bias
  // would leave int32.
  bool set_zero_point(int64_t zp) {
    if (zp == current_zp_) return true;
    if (fold_zp_) {
      int32_t* b = static_cast<int32_t*>(bias_.get_data_handle());
      for (size_t m = 0; m < w_sum_.size(); ++m) {
        const int64_t v = -zp * w_sum_[m];
        if (v < INT32_MIN || v > INT32_MAX) return false;
        b[m] = static_cast<int32_t>(v);
      }
      if (!correction_.empty()) {
        int32_t* sb = static_cast<int32_t*>(sum_bias_.get_data_handle());
        for (int64_t g = 0; g < group_; ++g) sb[g] = static_cast<int32_t>(-zp * window_taps_);
      }
    } else {
      *static_cast<int32_t*>(zp_mem_.get_data_handle()) = static_cast<int32_t>(zp);
    }
    current_zp_ = zp;
    return true;
  }

  KernelPtr ref_;  // shape logic and fallback
  Attributes attrs_;
  bool channels_last_;  // x and y NHWC (the layout pass's attribute)
  int64_t group_;
  bool use_ref_ = true;
  Shape x_, y_;
  std::vector<int64_t> w_sum_;       // sum over each output channel of the packed weights
  std::vector<int32_t> correction_;  // t - w_zp[m] (empty when the packed weights are w - w_zp)
  bool output_float_;                 // internal form: y = float(acc) * s (input 4) + bias[m] (input 5)
  std::vector<float> out_bias_;       // input 5, empty without
  int64_t window_taps_ = 0;          // products per output value (channels per group x kernel)
  bool fold_zp_ = false;
  int64_t current_zp_ = INT64_MIN;
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward prim_;
  RunArgs args_;
  memory src_buf_, dst_buf_, packed_w_, bias_, zp_mem_;
  bool src_reorder_ = false, dst_reorder_ = false;
  dnnl::reorder to_src_, from_dst_;
  // The window sums (with the correction only).
  dnnl::convolution_forward sum_prim_;
  memory sum_w_, sums_, sums_native_, sum_bias_;
  dnnl::reorder sums_to_plain_;
  std::unordered_map<int, memory> sum_args_;
};

}  // namespace

Result<KernelPtr> create_ConvInteger_fast(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlConvIntegerKernel(std::move(ref), c));
}

}  // namespace ez::ops
