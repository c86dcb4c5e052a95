// Conv and FusedConv through oneDNN: weights reordered once into the layout oneDNN picks,
// the primitive built once per input shape, bias, activation and residual fused as post-ops.
// Activations are plain NCHW, or NHWC under the channels_last attribute (set by the layout pass so
// that consecutive convolutions exchange NHWC without reorders). 3x3 stride-1 NHWC convolutions
// go to the Winograd kernel (ops/x86/winograd_f43.h), 1x1 stride-1 ones to a GEMM with the
// activation fused in registers (ops/x86/conv1x1.h), where those are faster.
// Anything oneDNN does not take (non-float,
// an activation without an eltwise equivalent) falls back to the reference kernel.
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "ops/channels_last.h"
#include "ops/dnnl/conv_choice.h"
#include "ops/dnnl/dnnl_common.h"
#include "ops/nn/activation.h"
#include "ops/nn/conv_geometry.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "ops/x86/conv1x1.h"
#include "ops/x86/cpu_features.h"
#include "ops/x86/epilogue_params.h"
#include "ops/x86/winograd_f43.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

// oneDNN's own JIT kernels (jit:avx2, jit_1x1:avx2, jit_dw:avx2, brg:avx512_core, ...), as
// opposed to its GEMM-based or reference fallbacks, which are slower than a reorder plus a
// blocked kernel.
bool is_native_kernel(const char* impl) {
  const std::string s(impl);
  return s.compare(0, 3, "jit") == 0 || s.compare(0, 3, "brg") == 0;
}

class DnnlConvKernel final : public Kernel {
 public:
  DnnlConvKernel(KernelPtr reference, const KernelConfig& c, ActivationSpec act, bool sum_first)
      : ref_(std::move(reference)), attrs_(c.attrs), channels_last_(wants_channels_last(c.attrs)), group_(c.attrs.get_int("group", 1)), act_(act), sum_first_(sum_first),
        fused_(c.op_type == "FusedConv") {}

  const char* impl_name() const override {
    return use_ref_ ? "ref" : hand_ ? hand_->name() : winograd_ ? "dnnl-wino" : "dnnl";
  }
  // The sum post-op (and the hand-written kernels' epilogues) add the residual where it already
  // lies: no copy when the planner agrees.
  int output_may_overwrite_input() const override {
    return !use_ref_ && (sum_residual_ || (hand_ && has_residual_)) ? 3 : -1;
  }

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    args_.reset();
    std::vector<TensorDesc> out(1);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    const Shape& w = in[1].desc.shape;
    if (in[0].desc.dtype != DType::kFloat32 || in[1].desc.dtype != DType::kFloat32 || in[0].desc.shape.size() < 3 ||
        in[0].desc.shape.size() > 5)
      return ref_->prepare(in);
    // oneDNN always takes logical NCHW dims; the layout is in the memory descriptor.
    const Shape x = channels_last_ ? nhwc_to_nchw(in[0].desc.shape) : in[0].desc.shape;
    if (channels_last_) out[0].shape = nhwc_to_nchw(out[0].shape);
    const size_t S = x.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "Conv"));
    EZ_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(wa, Shape(x.begin() + 2, x.end()), "Conv"));
    has_bias_ = in.size() > 2 && in[2].present();
    has_residual_ = in.size() > 3 && in[3].present();
    hand_.reset();
    if (prepare_hand_written(in, x, w, g)) {
      use_ref_ = false;
      return Status::OK();
    }
    // Sessions prepare kernels on several threads; oneDNN 2.6's Winograd kernels are not safe to
    // create and pack that way (jit_wino_4x3 crashed in about one run in three on two threads, and
    // never with one preparing thread), so those convolutions prepare one at a time.
    static std::mutex winograd_mutex;
    std::unique_lock<std::mutex> lock(winograd_mutex, std::defer_lock);
    if (winograd_candidate(x, w, g)) lock.lock();
    Status s = guard("Conv", [&] {
      const ConvWindow win = conv_window(g);
      const memory::dims wdims = grouped_weight_dims(w, group_);
      // Let oneDNN choose the activation layout too: its blocked kernels are several times faster
      // than its GEMM path on plain NCHW; we reorder in and out around the primitive.
      const memory::desc src_any(memory::dims(x.begin(), x.end()), memory::data_type::f32, memory::format_tag::any);
      const memory::desc dst_any(memory::dims(out[0].shape.begin(), out[0].shape.end()), memory::data_type::f32,
                                 memory::format_tag::any);
      const memory::desc src = user_desc(x), dst = user_desc(out[0].shape);
      const memory::desc wany(wdims, memory::data_type::f32, memory::format_tag::any);
      const memory::desc bias = has_bias_ ? memory::desc({w[0]}, memory::data_type::f32, memory::format_tag::a) : memory::desc();
      // NHWC: ask for a kernel that reads and writes NHWC itself. oneDNN has them on AVX2 (jit,
      // jit_1x1, jit_dw) and AVX-512 (brgconv); with format "any" it would pick a blocked nChw8c /
      // nChw16c kernel instead and we would pay two reorders per convolution (measured on an AVX2
      // EPYC: YOLOX-Nano 47 -> 31 ms at 2 threads). A residual goes in through the "sum" post-op,
      // which adds what the destination already holds: it is copied into the output first (a plain
      // copy, or nothing when the planner lets the output take over the residual's buffer).
      direct_nhwc_ = false;
      winograd_ = try_winograd(x, w, g, win, src_any, dst_any, wany, bias);
      if (channels_last_ && !winograd_) {
        dnnl::post_ops ops;
        if (has_residual_ && sum_first_) ops.append_sum(1.0f);
        append_activation(ops);
        if (has_residual_ && !sum_first_) ops.append_sum(1.0f);
        if (has_repeated_eltwise(ops)) throw dnnl::error(dnnl_unimplemented, "repeated eltwise post-op");
        dnnl::primitive_attr attr;
        attr.set_post_ops(ops);
        auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                    src, wany, bias, dst, win.strides, win.dilations, win.pad_begin, win.pad_end);
        try {
          pd_ = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
          direct_nhwc_ = is_native_kernel(pd_.impl_info_str());
        } catch (const dnnl::error&) {
        }
      }
      sum_residual_ = has_residual_ && direct_nhwc_;
      if (!direct_nhwc_ && !winograd_) {
        dnnl::post_ops ops;
        if (has_residual_ && sum_first_) ops.append_binary(dnnl::algorithm::binary_add, dst_any);
        append_activation(ops);
        if (has_residual_ && !sum_first_) ops.append_binary(dnnl::algorithm::binary_add, dst_any);
        if (has_repeated_eltwise(ops)) throw dnnl::error(dnnl_unimplemented, "repeated eltwise post-op");  // reference
        dnnl::primitive_attr attr;
        attr.set_post_ops(ops);
        auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                    src_any, wany, bias, dst_any, win.strides, win.dilations, win.pad_begin, win.pad_end);
        pd_ = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
      }
      prim_ = dnnl::convolution_forward(pd_);
      src_reorder_ = pd_.src_desc() != src;
      dst_reorder_ = pd_.dst_desc() != dst;
      if (src_reorder_) {
        src_buf_ = memory(pd_.src_desc(), engine());
        to_src_ = dnnl::reorder(memory(src, engine(), nullptr), src_buf_);
      }
      if (dst_reorder_) {
        dst_buf_ = memory(pd_.dst_desc(), engine());
        from_dst_ = dnnl::reorder(dst_buf_, memory(dst, engine(), nullptr));
        if (has_residual_ && !sum_residual_) {
          res_buf_ = memory(pd_.dst_desc(), engine());
          to_res_ = dnnl::reorder(memory(dst, engine(), nullptr), res_buf_);
        }
      }
      user_src_desc_ = src;
      user_dst_desc_ = dst;
      // Pack the weights once when they are constants (always, for exported models).
      packed_w_ = memory(pd_.weights_desc(), engine());
      if (in[1].value) pack_weights(*in[1].value);
      else weights_constant_ = false;
    });
    if (!s.ok()) return ref_->prepare(in);  // oneDNN declined this configuration
    use_ref_ = false;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return run_reference(in, out, ctx);
    if (hand_) {
      hand_->run(in[0]->data<float>(), has_residual_ ? in[3]->data<float>() : nullptr, out[0].data<float>(), ctx.pool);
      return Status::OK();
    }
    return guard("Conv", [&] {
      if (!weights_constant_) pack_weights(*in[1]);
      const bool binary_residual = has_residual_ && !sum_residual_;
      if (!args_.ready()) {
        args_.make(user_src_desc_, user_dst_desc_, packed_w_, src_reorder_ ? &src_buf_ : nullptr, dst_reorder_ ? &dst_buf_ : nullptr);
        if (has_bias_) args_.map[DNNL_ARG_BIAS] = bias_mem_ = memory(pd_.bias_desc(), engine(), nullptr);
        if (binary_residual) {
          user_res_ = memory(user_dst_desc_, engine(), nullptr);
          args_.map[DNNL_ARG_ATTR_MULTIPLE_POST_OP(sum_first_ ? 0 : residual_post_op_index_) | DNNL_ARG_SRC_1] =
              dst_reorder_ ? res_buf_ : user_res_;
        }
      }
      args_.bind(in[0]->raw(), out[0].raw());
      if (has_bias_) bias_mem_.set_data_handle(const_cast<void*>(in[2]->raw()));
      dnnl::stream& stream = args_.stream;
      if (src_reorder_) to_src_.execute(stream, args_.user_src, src_buf_);
      if (has_residual_ && sum_residual_) {
        // The sum post-op adds what dst holds: start from the residual (unless it is dst already).
        if (out[0].raw() != in[3]->raw()) std::memcpy(out[0].raw(), in[3]->raw(), out[0].nbytes());
      } else if (binary_residual) {
        user_res_.set_data_handle(const_cast<void*>(in[3]->raw()));
        if (dst_reorder_) to_res_.execute(stream, user_res_, res_buf_);
      }
      prim_.execute(stream, args_.map);
      const memory& dst = dst_reorder_ ? dst_buf_ : args_.user_dst;
      for (auto& act : separate_activation_) act.execute(stream, {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
      if (dst_reorder_) from_dst_.execute(stream, dst_buf_, args_.user_dst);
      stream.wait();
    });
  }

 private:
  // The shapes try_winograd considers (also what prepare serialises).
  bool winograd_candidate(const Shape& x, const Shape& w, const WindowGeometry& g) const {
    if (!channels_last_ || has_residual_ || x.size() != 4 || group_ != 1 || w[2] != 3 || w[3] != 3 || x[1] < 64 || w[0] < 64)
      return false;
    for (size_t i = 0; i < 2; ++i)
      if (g.strides[i] != 1 || g.dilations[i] != 1) return false;
    return true;
  }

  // oneDNN's Winograd kernels (jit_fp32_wino_2x3 / jit_wino_4x3, AVX-512 only) for wide 3x3
  // stride-1 convolutions of NHWC activations: they want a blocked layout, so the activation is
  // reordered in and out, and still they win where both sides have >= 64 channels. Measured at 2
  // threads on a Xeon with AVX-512 (primitive alone, brgconv -> jit_fp32_wino_2x3): 80->80
  // channels at 80x80 2.25 -> 1.26 ms, 64->64 at 40x40 0.33 -> 0.20 ms; 32->32 at 160x160 1.33 ->
  // 1.37 ms (no gain, hence the bound). Not with a residual. Only F(2x2, 3x3): oneDNN picks
  // jit_wino_4x3 for some shapes (small images, many channels), which has the larger fp32 error
  // and crashed when prepared concurrently (see prepare); those stay direct. Sets pd_ and
  // returns true when oneDNN gives one.
  // EDGEZOO_WINOGRAD=0 turns it off, with edgezoo's own Winograd kernel (comparisons).
  bool try_winograd(const Shape& x, const Shape& w, const WindowGeometry& g, const ConvWindow& win, const memory::desc& src_any,
                    const memory::desc& dst_any, const memory::desc& wany,
                    const memory::desc& bias) {
    static const bool enabled = !env_equals("EDGEZOO_WINOGRAD", "0");
    if (!enabled || !winograd_candidate(x, w, g)) return false;
    dnnl::post_ops act_ops;
    append_activation(act_ops);
    if (has_repeated_eltwise(act_ops)) return false;
    auto create = [&](const dnnl::post_ops& ops) {
      dnnl::primitive_attr attr;
      attr.set_post_ops(ops);
      try {
        auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_winograd,
                                                    src_any, wany, bias, dst_any, win.strides, win.dilations, win.pad_begin, win.pad_end);
        pd_ = dnnl::convolution_forward::primitive_desc(desc, attr, engine());
      } catch (const dnnl::error&) {
        return false;  // no Winograd kernel for this CPU or these post-ops
      }
      return std::string(pd_.impl_info_str()).find("wino_2x3") != std::string::npos;
    };
    separate_activation_.clear();
    if (create(act_ops)) return true;
    // The Winograd kernels take ReLU-like post-ops only: SiLU, sigmoid... then run as oneDNN
    // eltwise primitives over the blocked result, in place, before it is reordered to NHWC.
    if (act_ops.len() == 0 || !create(dnnl::post_ops())) return false;
    for (int i = 0; i < act_ops.len(); ++i) {
      float scale, alpha, beta;
      dnnl::algorithm alg;
      act_ops.get_params_eltwise(i, scale, alg, alpha, beta);
      auto d = dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, alg, pd_.dst_desc(), alpha, beta);
      separate_activation_.emplace_back(dnnl::eltwise_forward::primitive_desc(d, engine()));
    }
    return true;
  }

  // NHWC float convolutions with constant weights where edgezoo's own AVX2 kernels beat oneDNN:
  // Winograd F(4,3) for 3x3 stride 1 (winograd_f43.h), the fused-epilogue GEMM for 1x1 stride 1
  // (conv1x1.h). EDGEZOO_WINOGRAD=0 / EDGEZOO_CONV1X1=0 in the environment turn them off (for
  // comparisons).
  bool prepare_hand_written(const std::vector<KernelInput>& in, const Shape& x, const Shape& w, const WindowGeometry& g) {
    static const bool winograd_on = !env_equals("EDGEZOO_WINOGRAD", "0"), conv1x1_on = !env_equals("EDGEZOO_CONV1X1", "0");
    if (!channels_last_ || !hand_written_convs_pay() || x.size() != 4 || group_ != 1 || w[1] != x[1]) return false;
    if (!in[1].value || (has_bias_ && !in[2].value) || !x86::epilogue_supported(act_)) return false;
    for (size_t i = 0; i < 2; ++i)
      if (g.strides[i] != 1 || g.dilations[i] != 1) return false;
    const float* weights = in[1].value->data<float>();
    const float* bias = has_bias_ ? in[2].value->data<float>() : nullptr;
    if (w[2] == 3 && w[3] == 3 && winograd_on) {
      winograd::ConvShape s;
      s.batch = x[0], s.in_c = x[1], s.in_h = x[2], s.in_w = x[3], s.out_c = w[0];
      s.pad_top = g.pad_begin[0], s.pad_left = g.pad_begin[1], s.pad_bottom = g.pad_end[0], s.pad_right = g.pad_end[1];
      if (!winograd::worthwhile(s)) return false;
      hand_ = std::make_unique<winograd::F43Conv>(s, weights, bias, winograd::Epilogue{act_, has_residual_, sum_first_});
      return true;
    }
    const bool unpadded = g.pad_begin[0] == 0 && g.pad_begin[1] == 0 && g.pad_end[0] == 0 && g.pad_end[1] == 0;
    if (w[2] == 1 && w[3] == 1 && unpadded && conv1x1_on) {
      const conv1x1::Shape1x1 s{x[0] * x[2] * x[3], x[1], w[0]};
      if (!conv1x1::worthwhile(s)) return false;
      hand_ = std::make_unique<conv1x1::Conv1x1>(s, weights, bias, act_, has_residual_, sum_first_);
      return true;
    }
    return false;
  }

  void append_activation(dnnl::post_ops& ops) {
    dnnl_util::append_activation(ops, act_);
    residual_post_op_index_ = ops.len();
  }

  void pack_weights(const Tensor& w) {
    memory user(plain_weights_desc(w), engine(),
                const_cast<void*>(w.raw()));
    dnnl::stream stream(engine());
    dnnl::reorder(user, packed_w_).execute(stream, user, packed_w_);
    stream.wait();
  }

  memory::desc user_desc(const Shape& nchw) const {
    if (channels_last_) return memory::desc(memory::dims(nchw.begin(), nchw.end()), memory::data_type::f32, memory::format_tag::nhwc);
    return plain_desc(nchw);
  }

  memory::desc plain_weights_desc(const Tensor& w) const {
    // The weights as stored by ONNX: [O, I/G, k...], viewed with oneDNN's group split.
    Shape dims;
    if (group_ > 1) dims = {group_, w.dim(0) / group_, w.dim(1)};
    else dims = {w.dim(0), w.dim(1)};
    dims.insert(dims.end(), w.shape().begin() + 2, w.shape().end());
    return plain_desc(dims);
  }

  Status run_reference(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) {
    return ref_->run(in, out, ctx);
  }

  KernelPtr ref_;  // shape logic and fallback
  Attributes attrs_;
  bool channels_last_;
  int64_t group_;
  ActivationSpec act_;
  bool sum_first_, fused_;
  bool use_ref_ = true, has_bias_ = false, has_residual_ = false, weights_constant_ = true;
  bool direct_nhwc_ = false;   // a kernel that reads and writes NHWC itself, see prepare
  bool winograd_ = false;      // oneDNN's Winograd kernel on a blocked layout, see try_winograd
  std::vector<dnnl::eltwise_forward> separate_activation_;  // its activation, when not a post-op
  bool sum_residual_ = false;  // residual through a sum post-op (dst pre-filled), see prepare
  int residual_post_op_index_ = 0;
  std::unique_ptr<x86::NhwcConv> hand_;  // set when prepare chose a hand-written kernel
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward prim_;
  memory packed_w_;
  // Activation reorders between edgezoo's layout (NCHW or NHWC) and the one the primitive chose.
  bool src_reorder_ = false, dst_reorder_ = false;
  memory::desc user_src_desc_, user_dst_desc_;
  memory src_buf_, dst_buf_, res_buf_;
  dnnl::reorder to_src_, from_dst_, to_res_;
  // Kept between runs (see RunArgs); reset by prepare().
  RunArgs args_;
  memory user_res_, bias_mem_;
};

Result<KernelPtr> make(const KernelConfig& c) {
  ActivationSpec act;
  if (c.op_type == "FusedConv") {
    EZ_ASSIGN_OR_RETURN(act, activation_from_attrs(c.attrs));
  }
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlConvKernel(std::move(ref), c, act, c.attrs.get_int("sum_first", 0) != 0));
}

}  // namespace

bool hand_written_convs_pay() {
  static const bool pay = [] {
    const int isa = static_cast<int>(dnnl::get_effective_cpu_isa()), avx512 = static_cast<int>(dnnl::cpu_isa::avx512_core);
    return x86::has_avx2_fma() && (isa & avx512) != avx512;
  }();
  // Read on every call (kernels are prepared once per shape): tests and comparisons force the
  // AVX2 kernels on AVX-512 machines, where the policy alone would never exercise them.
  if (dnnl_util::env_equals("EDGEZOO_AVX2_CONVS", "1")) return x86::has_avx2_fma();
  return pay;
}

Result<KernelPtr> create_Conv_fast(const KernelConfig& c) { return make(c); }
Result<KernelPtr> create_FusedConv_fast(const KernelConfig& c) { return make(c); }

}  // namespace ez::ops
