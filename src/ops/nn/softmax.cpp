// Softmax, LogSoftmax, Hardmax. Opset >= 13: along one axis. Opset < 13: the input is coerced to
// 2-D at `axis` ([prod(dims<axis), prod(dims>=axis)]) and normalised along the second dim.
#include <cmath>
#include <limits>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Soft { kSoftmax, kLogSoftmax, kHardmax };

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(const KernelConfig& c, Soft kind)
      : kind_(kind), name_(c.op_type), legacy_(c.opset < 13), axis_(c.attrs.get_int("axis", c.opset < 13 ? 1 : -1)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, name_.c_str()));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32, DType::kFloat64}, name_.c_str(), "input"));
    const int64_t rank = static_cast<int64_t>(in[0].desc.shape.size());
    EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, std::max<int64_t>(rank, 1), name_.c_str()));
    (*out)[0] = in[0].desc;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Shape& s = in[0]->shape();
    // Decompose into outer x axis x inner; legacy mode folds everything from axis into `axis`.
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
      if (d < axis_n_) outer *= s[d];
      else if (d == axis_n_ || legacy_) len *= s[d];
      else inner *= s[d];
    }
    Status st;
    EZ_DISPATCH_FLOAT(in[0]->dtype(), T, st = unsupported("softmax dtype"), {
      const T* src = in[0]->data<T>();
      T* dst = out[0].data<T>();
      auto body = [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t o = r / inner, i = r % inner;
          const T* x = src + o * len * inner + i;
          T* y = dst + o * len * inner + i;
          T mx = -std::numeric_limits<T>::infinity();
          int64_t arg = 0;
          for (int64_t k = 0; k < len; ++k)
            if (x[k * inner] > mx) {
              mx = x[k * inner];
              arg = k;
            }
          if (kind_ == Soft::kHardmax) {
            for (int64_t k = 0; k < len; ++k) y[k * inner] = k == arg ? T(1) : T(0);
            continue;
          }
          double sum = 0;
          for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(x[k * inner] - mx));
          if (kind_ == Soft::kSoftmax) {
            const double invs = 1.0 / sum;
            for (int64_t k = 0; k < len; ++k) y[k * inner] = static_cast<T>(std::exp(static_cast<double>(x[k * inner] - mx)) * invs);
          } else {
            const double ls = std::log(sum);
            for (int64_t k = 0; k < len; ++k) y[k * inner] = static_cast<T>(x[k * inner] - mx - ls);
          }
        }
      };
      if (ctx.pool) ctx.pool->parallel_for(outer * inner, 64, body);
      else body(0, outer * inner);
    });
    return st;
  }

 private:
  Soft kind_;
  std::string name_;
  bool legacy_;
  int64_t axis_, axis_n_ = 0;
};

}  // namespace

Result<KernelPtr> create_Softmax(const KernelConfig& c) { return KernelPtr(new SoftmaxKernel(c, Soft::kSoftmax)); }
Result<KernelPtr> create_LogSoftmax(const KernelConfig& c) { return KernelPtr(new SoftmaxKernel(c, Soft::kLogSoftmax)); }
Result<KernelPtr> create_Hardmax(const KernelConfig& c) { return KernelPtr(new SoftmaxKernel(c, Soft::kHardmax)); }

}  // namespace ez::ops
