// Reshape, Flatten, Squeeze, Unsqueeze: the bytes stay as they are, only the shape changes, so
// each output is a view of its input (the executor skips run() when it can).
#include <algorithm>
#include <cstring>
#include <set>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

class ReshapeLikeKernel : public Kernel {
 public:
  bool output_is_view_of_input() const override { return true; }
  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    if (out[0].raw() != in[0]->raw() && in[0]->nbytes()) std::memcpy(out[0].raw(), in[0]->raw(), in[0]->nbytes());
    return Status::OK();
  }
};

class ReshapeKernel final : public ReshapeLikeKernel {
 public:
  explicit ReshapeKernel(const KernelConfig& c) : allowzero_(c.attrs.get_int("allowzero", 0) != 0), attr_shape_(c.attrs.get_ints("shape")), use_attr_(c.opset < 5) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, use_attr_ ? 1 : 2, use_attr_ ? 1 : 2, "Reshape"));
    std::vector<int64_t> spec = attr_shape_;
    if (!use_attr_) {
      EZ_ASSIGN_OR_RETURN(spec, read_int_list(in[1], "Reshape", "shape"));
    }
    const Shape& src = in[0].desc.shape;
    Shape s(spec.size());
    int infer_at = -1;
    int64_t known = 1;
    for (size_t i = 0; i < spec.size(); ++i) {
      if (spec[i] == -1) {
        if (infer_at >= 0) return invalid_model("Reshape: more than one -1 in shape");
        infer_at = static_cast<int>(i);
        continue;
      }
      if (spec[i] == 0 && !allowzero_) {
        if (i >= src.size()) return invalid_model("Reshape: 0 at position " + std::to_string(i) + " beyond the input rank");
        s[i] = src[i];
      } else if (spec[i] < 0) {
        return invalid_model("Reshape: invalid dimension " + std::to_string(spec[i]));
      } else {
        s[i] = spec[i];
      }
      known *= s[i];
    }
    const int64_t total = shape_numel(src);
    if (infer_at >= 0) {
      if (known == 0 || total % known != 0)
        return invalid_model("Reshape: cannot reshape " + shape_to_string(src) + " to " + shape_to_string(spec));
      s[infer_at] = total / known;
    } else if (known != total) {
      return invalid_model("Reshape: cannot reshape " + shape_to_string(src) + " (" + std::to_string(total) +
                           " elements) to " + shape_to_string(s));
    }
    (*out)[0] = {in[0].desc.dtype, s};
    return Status::OK();
  }

 private:
  bool allowzero_;
  std::vector<int64_t> attr_shape_;
  bool use_attr_;
};

class FlattenKernel final : public ReshapeLikeKernel {
 public:
  explicit FlattenKernel(int64_t axis) : axis_(axis) {}
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, "Flatten"));
    const Shape& s = in[0].desc.shape;
    const int64_t r = static_cast<int64_t>(s.size());
    const int64_t a = axis_ < 0 ? axis_ + r : axis_;
    if (a < 0 || a > r) return invalid_model("Flatten: axis " + std::to_string(axis_) + " out of range for rank " + std::to_string(r));
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < r; ++i) (i < a ? outer : inner) *= s[i];
    (*out)[0] = {in[0].desc.dtype, {outer, inner}};
    return Status::OK();
  }

 private:
  int64_t axis_;
};

class SqueezeKernel final : public ReshapeLikeKernel {
 public:
  SqueezeKernel(bool unsqueeze, bool axes_from_input, std::vector<int64_t> axes)
      : unsqueeze_(unsqueeze), from_input_(axes_from_input), axes_(std::move(axes)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = unsqueeze_ ? "Unsqueeze" : "Squeeze";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 2, op));
    std::vector<int64_t> axes = axes_;
    const bool have_axes = from_input_ ? (in.size() > 1 && in[1].present()) : !axes_.empty();
    if (from_input_ && have_axes) {
      EZ_ASSIGN_OR_RETURN(axes, read_int_list(in[1], op, "axes"));
    }
    const Shape& s = in[0].desc.shape;
    Shape r;
    if (unsqueeze_) {
      if (!have_axes) return invalid_model("Unsqueeze needs axes");
      const int64_t rank = static_cast<int64_t>(s.size() + axes.size());
      std::set<int64_t> norm;
      for (int64_t a : axes) {
        EZ_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank, op));
        if (!norm.insert(n).second) return invalid_model("Unsqueeze: repeated axis " + std::to_string(a));
      }
      size_t k = 0;
      for (int64_t i = 0; i < rank; ++i) r.push_back(norm.count(i) ? 1 : s[k++]);
    } else {
      std::set<int64_t> norm;
      for (int64_t a : axes) {
        EZ_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, static_cast<int64_t>(s.size()), op));
        if (s[n] != 1) return invalid_model("Squeeze: axis " + std::to_string(a) + " has size " + std::to_string(s[n]) + ", not 1");
        norm.insert(n);
      }
      for (size_t i = 0; i < s.size(); ++i)
        if (have_axes ? !norm.count(static_cast<int64_t>(i)) : s[i] != 1) r.push_back(s[i]);
    }
    (*out)[0] = {in[0].desc.dtype, r};
    return Status::OK();
  }

 private:
  bool unsqueeze_, from_input_;
  std::vector<int64_t> axes_;
};

}  // namespace

Result<KernelPtr> create_Reshape(const KernelConfig& c) { return KernelPtr(new ReshapeKernel(c)); }
Result<KernelPtr> create_Flatten(const KernelConfig& c) { return KernelPtr(new FlattenKernel(c.attrs.get_int("axis", 1))); }
Result<KernelPtr> create_Squeeze(const KernelConfig& c) {
  return KernelPtr(new SqueezeKernel(false, c.opset >= 13, c.attrs.get_ints("axes")));
}
Result<KernelPtr> create_Unsqueeze(const KernelConfig& c) {
  return KernelPtr(new SqueezeKernel(true, c.opset >= 13, c.attrs.get_ints("axes")));
}

}  // namespace ez::ops
