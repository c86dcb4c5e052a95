// Gather (slices along an axis picked by indices) and GatherElements (element-wise pick).
// Negative indices count from the end; an index out of range is an error naming it.
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

Result<int64_t> checked_index(int64_t idx, int64_t dim, const char* op) {
  if (idx < -dim || idx >= dim)
    return invalid_argument(std::string(op) + ": index " + std::to_string(idx) + " out of range for dim " + std::to_string(dim));
  return idx < 0 ? idx + dim : idx;
}

class GatherKernel final : public Kernel {
 public:
  GatherKernel(int64_t axis, bool elements) : axis_(axis), elements_(elements) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = elements_ ? "GatherElements" : "Gather";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 2, op));
    EZ_RETURN_IF_ERROR(expect_dtype(in[1], {DType::kInt64, DType::kInt32}, op, "indices"));
    const Shape& s = in[0].desc.shape;
    EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, static_cast<int64_t>(s.size()), op));
    if (elements_) {
      if (in[1].desc.shape.size() != s.size()) return invalid_model("GatherElements: indices rank differs from data rank");
      (*out)[0] = {in[0].desc.dtype, in[1].desc.shape};
      return Status::OK();
    }
    Shape os(s.begin(), s.begin() + axis_n_);
    os.insert(os.end(), in[1].desc.shape.begin(), in[1].desc.shape.end());
    os.insert(os.end(), s.begin() + axis_n_ + 1, s.end());
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const Tensor& x = *in[0];
    const Tensor& idx = *in[1];
    const size_t es = dtype_size(x.dtype());
    const char* src = static_cast<const char*>(x.raw());
    char* dst = static_cast<char*>(out[0].raw());
    const Shape& s = x.shape();
    const int64_t dim = s[axis_n_];
    if (!elements_) {
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < axis_n_; ++d) outer *= s[d];
      for (size_t d = axis_n_ + 1; d < s.size(); ++d) inner *= s[d];
      const int64_t n = idx.numel();
      const size_t block = inner * es;
      for (int64_t i = 0; i < n; ++i) {
        EZ_ASSIGN_OR_RETURN(int64_t k, checked_index(idx.at_int(i), dim, "Gather"));
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(dst + (o * n + i) * block, src + (o * dim + k) * block, block);
      }
      return Status::OK();
    }
    // GatherElements: out[i...] = x[i... with axis coordinate replaced by idx[i...]].
    const Shape& is = idx.shape();
    const std::vector<int64_t> xs = shape_strides(s);
    std::vector<int64_t> pos(is.size(), 0);
    for (int64_t i = 0; i < idx.numel(); ++i) {
      EZ_ASSIGN_OR_RETURN(int64_t k, checked_index(idx.at_int(i), dim, "GatherElements"));
      int64_t off = 0;
      for (size_t d = 0; d < is.size(); ++d) off += (static_cast<int64_t>(d) == axis_n_ ? k : pos[d]) * xs[d];
      std::memcpy(dst + i * es, src + off * es, es);
      for (int d = static_cast<int>(is.size()) - 1; d >= 0 && ++pos[d] == is[d]; --d) pos[d] = 0;
    }
    return Status::OK();
  }

 private:
  int64_t axis_;
  bool elements_;
  int64_t axis_n_ = 0;
};

}  // namespace

Result<KernelPtr> create_Gather(const KernelConfig& c) { return KernelPtr(new GatherKernel(c.attrs.get_int("axis", 0), false)); }
Result<KernelPtr> create_GatherElements(const KernelConfig& c) {
  return KernelPtr(new GatherKernel(c.attrs.get_int("axis", 0), true));
}

}  // namespace ez::ops
