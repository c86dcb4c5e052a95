// DepthToSpace (DCR and CRD) and SpaceToDepth on NCHW tensors, as a reshape-transpose-reshape.
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

class DepthSpaceKernel final : public Kernel {
 public:
  DepthSpaceKernel(bool to_space, int64_t block, bool crd) : to_space_(to_space), b_(block), crd_(crd) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = to_space_ ? "DepthToSpace" : "SpaceToDepth";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, op));
    const Shape& s = in[0].desc.shape;
    if (s.size() != 4 || b_ <= 0) return invalid_model(std::string(op) + " needs a 4-D input and blocksize > 0");
    if (to_space_) {
      if (s[1] % (b_ * b_)) return invalid_model("DepthToSpace: channels not divisible by blocksize^2");
      (*out)[0] = {in[0].desc.dtype, {s[0], s[1] / (b_ * b_), s[2] * b_, s[3] * b_}};
    } else {
      if (s[2] % b_ || s[3] % b_) return invalid_model("SpaceToDepth: H and W must be divisible by blocksize");
      (*out)[0] = {in[0].desc.dtype, {s[0], s[1] * b_ * b_, s[2] / b_, s[3] / b_}};
    }
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    // Index mapping between the "space" tensor [N, C, H*b, W*b] and the "depth" tensor
    // [N, C*b*b, H, W]: depth channel = DCR: (by*b + bx)*C + c ; CRD: c*b*b + by*b + bx.
    const bool d2s = to_space_;
    const Shape& ds = d2s ? in[0]->shape() : out[0].shape();  // depth-side shape
    const int64_t N = ds[0], CB = ds[1], H = ds[2], W = ds[3], C = CB / (b_ * b_);
    const size_t es = dtype_size(in[0]->dtype());
    const char* src = static_cast<const char*>(in[0]->raw());
    char* dst = static_cast<char*>(out[0].raw());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t by = 0; by < b_; ++by)
          for (int64_t bx = 0; bx < b_; ++bx) {
            const int64_t dc = crd_ ? c * b_ * b_ + by * b_ + bx : (by * b_ + bx) * C + c;
            for (int64_t h = 0; h < H; ++h)
              for (int64_t w = 0; w < W; ++w) {
                const int64_t depth_i = ((n * CB + dc) * H + h) * W + w;
                const int64_t space_i = ((n * C + c) * H * b_ + h * b_ + by) * W * b_ + w * b_ + bx;
                if (d2s) std::memcpy(dst + space_i * es, src + depth_i * es, es);
                else std::memcpy(dst + depth_i * es, src + space_i * es, es);
              }
          }
    return Status::OK();
  }

 private:
  bool to_space_;
  int64_t b_;
  bool crd_;
};

}  // namespace

Result<KernelPtr> create_DepthToSpace(const KernelConfig& c) {
  return KernelPtr(new DepthSpaceKernel(true, c.attrs.get_int("blocksize", 0), c.attrs.get_string("mode", "DCR") == "CRD"));
}
Result<KernelPtr> create_SpaceToDepth(const KernelConfig& c) {
  return KernelPtr(new DepthSpaceKernel(false, c.attrs.get_int("blocksize", 0), false));
}

}  // namespace ez::ops
