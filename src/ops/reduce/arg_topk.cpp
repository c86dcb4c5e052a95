// ArgMax / ArgMin (keepdims, select_last_index) and TopK (k as input from opset 10, largest,
// sorted; equal values keep the lower index first, as ONNX Runtime does).
#include <algorithm>
#include <numeric>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

void outer_len_inner(const Shape& s, int64_t axis, int64_t* outer, int64_t* len, int64_t* inner) {
  *outer = *inner = 1;
  *len = s[axis];
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < axis) *outer *= s[d];
    if (d > axis) *inner *= s[d];
  }
}

class ArgKernel final : public Kernel {
 public:
  ArgKernel(const KernelConfig& c, bool max)
      : max_(max), axis_(c.attrs.get_int("axis", 0)), keep_(c.attrs.get_int("keepdims", 1) != 0),
        last_(c.attrs.get_int("select_last_index", 0) != 0) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = max_ ? "ArgMax" : "ArgMin";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, op));
    Shape s = in[0].desc.shape;
    EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, static_cast<int64_t>(s.size()), op));
    if (keep_) s[axis_n_] = 1;
    else s.erase(s.begin() + axis_n_);
    (*out)[0] = {DType::kInt64, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    int64_t outer, len, inner;
    outer_len_inner(in[0]->shape(), axis_n_, &outer, &len, &inner);
    Status s;
    EZ_DISPATCH_REAL(in[0]->dtype(), T, s = unsupported("ArgMax/ArgMin dtype"), {
      const T* x = in[0]->data<T>();
      int64_t* y = out[0].data<int64_t>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t best = 0;
          for (int64_t k = 1; k < len; ++k) {
            const T v = x[(o * len + k) * inner + i], b = x[(o * len + best) * inner + i];
            const bool better = max_ ? (last_ ? v >= b : v > b) : (last_ ? v <= b : v < b);
            if (better) best = k;
          }
          y[o * inner + i] = best;
        }
    });
    return s;
  }

 private:
  bool max_;
  int64_t axis_, axis_n_ = 0;
  bool keep_, last_;
};

class TopKKernel final : public Kernel {
 public:
  explicit TopKKernel(const KernelConfig& c)
      : axis_(c.attrs.get_int("axis", -1)), largest_(c.attrs.get_int("largest", 1) != 0),
        sorted_(c.attrs.get_int("sorted", 1) != 0), k_attr_(c.attrs.get_int("k", -1)), k_input_(c.opset >= 10) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, k_input_ ? 2 : 1, k_input_ ? 2 : 1, "TopK"));
    Shape s = in[0].desc.shape;
    EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, static_cast<int64_t>(s.size()), "TopK"));
    k_ = k_attr_;
    if (k_input_) {
      EZ_ASSIGN_OR_RETURN(std::vector<int64_t> k, read_int_list(in[1], "TopK", "K"));
      if (k.size() != 1) return invalid_model("TopK: K must hold one value");
      k_ = k[0];
    }
    if (k_ < 0 || k_ > s[axis_n_])
      return invalid_argument("TopK: k=" + std::to_string(k_) + " out of range for axis of size " + std::to_string(s[axis_n_]));
    s[axis_n_] = k_;
    (*out)[0] = {in[0].desc.dtype, s};
    (*out)[1] = {DType::kInt64, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    int64_t outer, len, inner;
    outer_len_inner(in[0]->shape(), axis_n_, &outer, &len, &inner);
    Status s;
    EZ_DISPATCH_REAL(in[0]->dtype(), T, s = unsupported("TopK dtype"), {
      const T* x = in[0]->data<T>();
      T* vals = out[0].data<T>();
      int64_t* idx = out[1].data<int64_t>();
      std::vector<int64_t> order(len);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t k) { return x[(o * len + k) * inner + i]; };
          std::iota(order.begin(), order.end(), 0);
          auto cmp = [&](int64_t a, int64_t b) {
            if (at(a) != at(b)) return largest_ ? at(a) > at(b) : at(a) < at(b);
            return a < b;
          };
          std::partial_sort(order.begin(), order.begin() + k_, order.end(), cmp);
          if (!sorted_) std::sort(order.begin(), order.begin() + k_);  // unsorted: any order is valid; index order is stable
          for (int64_t j = 0; j < k_; ++j) {
            vals[(o * k_ + j) * inner + i] = at(order[j]);
            idx[(o * k_ + j) * inner + i] = order[j];
          }
        }
    });
    return s;
  }

 private:
  int64_t axis_, axis_n_ = 0;
  bool largest_, sorted_;
  int64_t k_attr_, k_ = 0;
  bool k_input_;
};

}  // namespace

Result<KernelPtr> create_ArgMax(const KernelConfig& c) { return KernelPtr(new ArgKernel(c, true)); }
Result<KernelPtr> create_ArgMin(const KernelConfig& c) { return KernelPtr(new ArgKernel(c, false)); }
Result<KernelPtr> create_TopK(const KernelConfig& c) { return KernelPtr(new TopKKernel(c)); }

}  // namespace ez::ops
