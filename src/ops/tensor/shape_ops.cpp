// Shape, Size, ConstantOfShape, Range: small tensors about shapes, usually folded at load time.
#include <cmath>
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

class ShapeKernel final : public Kernel {
 public:
  ShapeKernel(int64_t start, int64_t end, bool size) : start_(start), end_(end), size_(size) {}
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, size_ ? "Size" : "Shape"));
    const int64_t r = static_cast<int64_t>(in[0].desc.shape.size());
    auto clamp = [r](int64_t v) { return std::max<int64_t>(0, std::min(r, v < 0 ? v + r : v)); };
    b_ = clamp(start_);
    e_ = clamp(end_);
    (*out)[0] = {DType::kInt64, size_ ? Shape{} : Shape{std::max<int64_t>(0, e_ - b_)}};
    return Status::OK();
  }
  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    int64_t* o = out[0].data<int64_t>();
    if (size_) *o = in[0]->numel();
    else
      for (int64_t i = b_; i < e_; ++i) o[i - b_] = in[0]->shape()[i];
    return Status::OK();
  }

 private:
  int64_t start_, end_, b_ = 0, e_ = 0;
  bool size_;
};

class ConstantOfShapeKernel final : public Kernel {
 public:
  explicit ConstantOfShapeKernel(Tensor value) : value_(std::move(value)) {
    if (value_.empty()) value_ = Tensor::zeros(DType::kFloat32, {1});
  }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, "ConstantOfShape"));
    EZ_ASSIGN_OR_RETURN(std::vector<int64_t> dims, read_int_list(in[0], "ConstantOfShape", "shape"));
    for (int64_t d : dims)
      if (d < 0) return invalid_model("ConstantOfShape: negative dimension");
    (*out)[0] = {value_.dtype(), dims};
    return Status::OK();
  }
  Status run(const std::vector<const Tensor*>&, std::vector<Tensor>& out, const RunContext&) override {
    const size_t es = dtype_size(value_.dtype());
    char* o = static_cast<char*>(out[0].raw());
    for (int64_t i = 0; i < out[0].numel(); ++i) std::memcpy(o + i * es, value_.raw(), es);
    return Status::OK();
  }

 private:
  Tensor value_;
};

class RangeKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 3, 3, "Range"));
    for (const auto& k : in)
      if (!k.value) return needs_value("Range: start, limit and delta must be known");
    const double start = in[0].value->at_double(0), limit = in[1].value->at_double(0), delta = in[2].value->at_double(0);
    if (delta == 0) return invalid_model("Range: delta is 0");
    const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
    (*out)[0] = {in[0].desc.dtype, {n}};
    return Status::OK();
  }
  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    Status s;
    EZ_DISPATCH_REAL(out[0].dtype(), T, s = unsupported("Range dtype"), {
      const T start = in[0]->data<T>()[0], delta = in[2]->data<T>()[0];
      T* o = out[0].data<T>();
      for (int64_t i = 0; i < out[0].numel(); ++i) o[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    });
    return s;
  }
};

}  // namespace

Result<KernelPtr> create_Shape(const KernelConfig& c) {
  return KernelPtr(new ShapeKernel(c.attrs.get_int("start", 0), c.attrs.get_int("end", INT64_MAX), false));
}
Result<KernelPtr> create_Size(const KernelConfig&) { return KernelPtr(new ShapeKernel(0, INT64_MAX, true)); }
Result<KernelPtr> create_ConstantOfShape(const KernelConfig& c) {
  return KernelPtr(new ConstantOfShapeKernel(c.attrs.get_tensor("value")));
}
Result<KernelPtr> create_Range(const KernelConfig&) { return KernelPtr(new RangeKernel()); }

}  // namespace ez::ops
