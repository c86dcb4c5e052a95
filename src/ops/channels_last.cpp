#include "ops/channels_last.h"

#include <algorithm>

#include "ops/op_util.h"

namespace ez::ops {

namespace {

const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};

class ChannelsLastAdapter final : public Kernel {
 public:
  ChannelsLastAdapter(KernelPtr inner, std::vector<int> data_inputs)
      : inner_(std::move(inner)), data_inputs_(std::move(data_inputs)) {}

  const char* impl_name() const override { return inner_->impl_name(); }

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(inner_->infer(to_nchw_descs(in), out));
    for (TensorDesc& d : *out) d.shape = nchw_to_nhwc(d.shape);
    return Status::OK();
  }

  Status prepare(const std::vector<KernelInput>& in) override { return inner_->prepare(to_nchw_descs(in)); }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    std::vector<Tensor> nchw_in(in.size());
    std::vector<const Tensor*> args(in);
    for (int i : data_inputs_) {
      if (i >= static_cast<int>(in.size()) || !in[i] || in[i]->rank() != 4) continue;
      EZ_ASSIGN_OR_RETURN(nchw_in[i], Tensor::allocate(in[i]->dtype(), nhwc_to_nchw(in[i]->shape())));
      EZ_RETURN_IF_ERROR(transpose_tensor(*in[i], nchw_in[i], kToNchw, ctx.pool));
      args[i] = &nchw_in[i];
    }
    std::vector<Tensor> nchw_out(out.size());
    for (size_t o = 0; o < out.size(); ++o) {
      EZ_ASSIGN_OR_RETURN(nchw_out[o], Tensor::allocate(out[o].dtype(), nhwc_to_nchw(out[o].shape())));
    }
    EZ_RETURN_IF_ERROR(inner_->run(args, nchw_out, ctx));
    for (size_t o = 0; o < out.size(); ++o) {
      if (out[o].rank() == 4) {
        EZ_RETURN_IF_ERROR(transpose_tensor(nchw_out[o], out[o], kToNhwc, ctx.pool));
      } else {
        std::copy_n(static_cast<const char*>(nchw_out[o].raw()), out[o].nbytes(), static_cast<char*>(out[o].raw()));
      }
    }
    return Status::OK();
  }

 private:
  // Data inputs described in NCHW; their values are dropped (the inner kernel does not need the
  // contents of activations to prepare).
  std::vector<KernelInput> to_nchw_descs(const std::vector<KernelInput>& in) const {
    std::vector<KernelInput> r(in);
    for (int i : data_inputs_) {
      if (i >= static_cast<int>(r.size()) || !r[i].present()) continue;
      r[i].desc.shape = nhwc_to_nchw(r[i].desc.shape);
      r[i].value = nullptr;
    }
    return r;
  }

  KernelPtr inner_;
  std::vector<int> data_inputs_;
};

Shape permute_rank4(const Shape& s, const std::vector<int64_t>& perm) {
  if (s.size() != 4) return s;
  return {s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
}

}  // namespace

bool wants_channels_last(const Attributes& attrs) { return attrs.get_int(kChannelsLastAttr, 0) != 0; }

std::vector<int> channels_last_data_inputs(const std::string& op_type) {
  if (op_type == "FusedConv") return {0, 3};
  return {0};
}

Shape nchw_to_nhwc(const Shape& s) { return permute_rank4(s, kToNhwc); }
Shape nhwc_to_nchw(const Shape& s) { return permute_rank4(s, kToNchw); }

KernelPtr wrap_channels_last(KernelPtr nchw_kernel, std::vector<int> data_inputs) {
  return KernelPtr(new ChannelsLastAdapter(std::move(nchw_kernel), std::move(data_inputs)));
}

}  // namespace ez::ops
