// MaxPool / AveragePool / GlobalMaxPool / GlobalAveragePool through oneDNN pooling (1-D to 3-D;
// NCHW, or NHWC under the channels_last attribute). Configurations it does not express (Indices
// output, storage_order, dilations, types other than float32 -- or int8/uint8 for max pooling,
// which quantized models run between int8 operators) use the reference kernel.
#include "ops/channels_last.h"
#include "ops/dnnl/dnnl_common.h"
#include "ops/nn/conv_geometry.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

class DnnlPoolKernel final : public Kernel {
 public:
  DnnlPoolKernel(KernelPtr ref, const KernelConfig& c)
      : ref_(std::move(ref)), attrs_(c.attrs), max_(c.op_type == "MaxPool" || c.op_type == "GlobalMaxPool"),
        global_(c.op_type.compare(0, 6, "Global") == 0), channels_last_(wants_channels_last(c.attrs)),
        count_pad_(c.attrs.get_int("count_include_pad", 0) != 0), outputs_(c.num_outputs) {}

  const char* impl_name() const override { return use_ref_ ? "ref" : "dnnl"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    std::vector<TensorDesc> out(outputs_);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    const DType t = in[0].desc.dtype;
    if (t == DType::kFloat32) type_ = memory::data_type::f32;
    else if (max_ && t == DType::kUInt8) type_ = memory::data_type::u8;
    else if (max_ && t == DType::kInt8) type_ = memory::data_type::s8;
    else return ref_->prepare(in);
    if (outputs_ > 1 || in[0].desc.shape.size() < 3 || in[0].desc.shape.size() > 5) return ref_->prepare(in);
    const Shape x = channels_last_ ? nhwc_to_nchw(in[0].desc.shape) : in[0].desc.shape;
    const Shape y = channels_last_ ? nhwc_to_nchw(out[0].shape) : out[0].shape;
    const size_t S = x.size() - 2;
    Attributes window = attrs_;
    if (global_) window.set("kernel_shape", Attribute::of_ints(Shape(x.begin() + 2, x.end())));  // one window over all
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(window, S, {}, "Pool"));
    for (int64_t d : wa.dilations)
      if (d != 1) return ref_->prepare(in);
    EZ_ASSIGN_OR_RETURN(WindowGeometry g, window_geometry(wa, Shape(x.begin() + 2, x.end()), "Pool"));
    // oneDNN derives the output size itself from pads; with ceil_mode the right pad grows so that
    // its formula gives ours. Windows that fall entirely in padding are impossible by construction.
    memory::dims strides(g.strides.begin(), g.strides.end()), kernel(g.kernel.begin(), g.kernel.end()),
        pl(g.pad_begin.begin(), g.pad_begin.end()), pr;
    for (size_t i = 0; i < S; ++i)
      pr.push_back((g.out[i] - 1) * g.strides[i] + g.kernel[i] - g.in[i] - g.pad_begin[i]);
    // Average pooling over the padded area only counts real pixels unless count_include_pad; with
    // ceil_mode the extra right padding must never count, so then only exclude_padding is exact.
    const bool extra_pad = [&] {
      for (size_t i = 0; i < S; ++i)
        if (pr[i] != g.pad_end[i]) return true;
      return false;
    }();
    if (!max_ && count_pad_ && extra_pad) return ref_->prepare(in);
    const auto alg = max_ ? dnnl::algorithm::pooling_max
                          : (count_pad_ ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding);
    Status s = guard("Pool", [&] {
      auto desc = dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, alg, user_desc(x), user_desc(y),
                                              strides, kernel, pl, pr);
      pd_ = dnnl::pooling_forward::primitive_desc(desc, engine());
      prim_ = dnnl::pooling_forward(pd_);
    });
    if (!s.ok()) return ref_->prepare(in);
    use_ref_ = false;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return ref_->run(in, out, ctx);
    return guard("Pool", [&] {
      dnnl::stream stream(engine());
      memory src(pd_.src_desc(), engine(), const_cast<void*>(in[0]->raw()));
      memory dst(pd_.dst_desc(), engine(), out[0].raw());
      prim_.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
      stream.wait();
    });
  }

 private:
  memory::desc user_desc(const Shape& nchw) const {
    if (channels_last_ && nchw.size() == 4)
      return memory::desc(memory::dims(nchw.begin(), nchw.end()), type_, memory::format_tag::nhwc);
    return plain_desc(nchw, type_);
  }

  KernelPtr ref_;
  Attributes attrs_;
  bool max_, global_, channels_last_, count_pad_;
  int outputs_;
  bool use_ref_ = true;
  memory::data_type type_ = memory::data_type::f32;  // f32; u8 / s8 for max pooling
  dnnl::pooling_forward::primitive_desc pd_;
  dnnl::pooling_forward prim_;
};

Result<KernelPtr> make(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlPoolKernel(std::move(ref), c));
}

}  // namespace

Result<KernelPtr> create_MaxPool_fast(const KernelConfig& c) { return make(c); }
Result<KernelPtr> create_AveragePool_fast(const KernelConfig& c) { return make(c); }
Result<KernelPtr> create_GlobalMaxPool_fast(const KernelConfig& c) { return make(c); }
Result<KernelPtr> create_GlobalAveragePool_fast(const KernelConfig& c) { return make(c); }

}  // namespace ez::ops
