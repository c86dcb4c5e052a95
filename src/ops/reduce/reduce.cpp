// ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare. Axes come from the attribute,
// or from the optional second input (ReduceSum from opset 13, the others from 18);
// noop_with_empty_axes turns "no axes" into identity instead of reduce-all.
#include <cmath>
#include <limits>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Red { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(const KernelConfig& c, Red kind, bool axes_input)
      : kind_(kind), name_(c.op_type), axes_attr_(c.attrs.get_ints("axes")), axes_input_(axes_input),
        keepdims_(c.attrs.get_int("keepdims", 1) != 0), noop_empty_(c.attrs.get_int("noop_with_empty_axes", 0) != 0) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 2, name_.c_str()));
    const Shape& s = in[0].desc.shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    std::vector<int64_t> axes = axes_attr_;
    if (axes_input_ && in.size() > 1 && in[1].present()) {
      EZ_ASSIGN_OR_RETURN(axes, read_int_list(in[1], name_.c_str(), "axes"));
    }
    reduced_.assign(rank, false);
    if (axes.empty()) {
      if (!noop_empty_) reduced_.assign(rank, true);
    } else {
      for (int64_t a : axes) {
        EZ_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank, name_.c_str()));
        reduced_[n] = true;
      }
    }
    Shape os;
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduced_[d]) os.push_back(s[d]);
      else if (keepdims_) os.push_back(1);
    }
    if ((kind_ == Red::kMax || kind_ == Red::kMin) && shape_numel(s) == 0 && shape_numel(os) != 0)
      return invalid_model(name_ + ": empty reduction has no identity");
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    Status s;
    EZ_DISPATCH_REAL(in[0]->dtype(), T, s = unsupported(name_ + " on " + dtype_name(in[0]->dtype())), reduce<T>(*in[0], out[0], ctx));
    return s;
  }

 private:
  // Sum/Mean/Max/Min over one contiguous run of dims: the input is [outer, R, inner] and every
  // output row accumulates R input rows element-wise (vectorisable; NCHW channel sums, NHWC last-
  // axis reductions). Same double accumulation in the same order as the general path.
  template <typename T>
  bool reduce_contiguous(const Tensor& x, Tensor& y, const RunContext& ctx) {
    if (kind_ != Red::kSum && kind_ != Red::kMean && kind_ != Red::kMax && kind_ != Red::kMin) return false;
    const Shape& s = x.shape();
    const int rank = static_cast<int>(s.size());
    int first = -1, last = -1;
    for (int d = 0; d < rank; ++d)
      if (reduced_[d]) {
        if (first < 0) first = d;
        else if (last != d - 1) return false;  // a gap: not one run
        last = d;
      }
    if (first < 0) return false;
    int64_t outer = 1, R = 1, inner = 1;
    for (int d = 0; d < rank; ++d) (d < first ? outer : d <= last ? R : inner) *= s[d];
    if (R == 0) return false;  // empty reductions: the general path's identities
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    constexpr int64_t kBlock = 256;  // inner elements per work item
    const int64_t blocks = (inner + kBlock - 1) / kBlock;
    auto body = [&](int64_t w0, int64_t w1) {
      double acc[kBlock];
      for (int64_t w = w0; w < w1; ++w) {
        const int64_t o = w / blocks, i0 = (w % blocks) * kBlock, n = std::min(kBlock, inner - i0);
        const T* in = src + o * R * inner + i0;
        for (int64_t i = 0; i < n; ++i) acc[i] = static_cast<double>(in[i]);
        for (int64_t r = 1; r < R; ++r) {
          const T* row = in + r * inner;
          switch (kind_) {
            case Red::kMax: for (int64_t i = 0; i < n; ++i) acc[i] = std::max(acc[i], static_cast<double>(row[i])); break;
            case Red::kMin: for (int64_t i = 0; i < n; ++i) acc[i] = std::min(acc[i], static_cast<double>(row[i])); break;
            default: for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(row[i]); break;
          }
        }
        T* out = dst + o * inner + i0;
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(kind_ == Red::kMean ? acc[i] / R : acc[i]);
      }
    };
    if (ctx.pool && outer * R * inner > (1 << 15)) ctx.pool->parallel_for(outer * blocks, 1, body);
    else body(0, outer * blocks);
    return true;
  }

  template <typename T>
  void reduce(const Tensor& x, Tensor& y, const RunContext& ctx) {
    if (reduce_contiguous<T>(x, y, ctx)) return;
    const Shape& s = x.shape();
    const int rank = static_cast<int>(s.size());
    // Output index -> input base offset over kept dims; reduced dims enumerated per output.
    const std::vector<int64_t> st = shape_strides(s);
    Shape kept, red;
    std::vector<int64_t> kept_st, red_st;
    for (int d = 0; d < rank; ++d) {
      (reduced_[d] ? red : kept).push_back(s[d]);
      (reduced_[d] ? red_st : kept_st).push_back(st[d]);
    }
    const int64_t n_out = shape_numel(kept), n_red = shape_numel(red);
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    auto body = [&](int64_t o0, int64_t o1) {
      std::vector<int64_t> rp(red.size());
      for (int64_t o = o0; o < o1; ++o) {
        int64_t base = 0, rem = o;
        for (int d = static_cast<int>(kept.size()) - 1; d >= 0; --d) {
          base += (rem % kept[d]) * kept_st[d];
          rem /= kept[d];
        }
        double acc = kind_ == Red::kProd ? 1.0 : kind_ == Red::kMax ? -std::numeric_limits<double>::infinity()
                   : kind_ == Red::kMin ? std::numeric_limits<double>::infinity() : 0.0;
        double mx = -std::numeric_limits<double>::infinity();
        if (kind_ == Red::kLogSumExp) {  // max first, for a stable log-sum-exp
          std::fill(rp.begin(), rp.end(), 0);
          for (int64_t r = 0; r < n_red; ++r) {
            int64_t off = base;
            for (size_t d = 0; d < red.size(); ++d) off += rp[d] * red_st[d];
            mx = std::max(mx, static_cast<double>(src[off]));
            for (int d = static_cast<int>(red.size()) - 1; d >= 0 && ++rp[d] == red[d]; --d) rp[d] = 0;
          }
          if (!std::isfinite(mx)) mx = 0;
        }
        std::fill(rp.begin(), rp.end(), 0);
        for (int64_t r = 0; r < n_red; ++r) {
          int64_t off = base;
          for (size_t d = 0; d < red.size(); ++d) off += rp[d] * red_st[d];
          const double v = static_cast<double>(src[off]);
          switch (kind_) {
            case Red::kSum: case Red::kMean: case Red::kLogSum: acc += v; break;
            case Red::kMax: acc = std::max(acc, v); break;
            case Red::kMin: acc = std::min(acc, v); break;
            case Red::kProd: acc *= v; break;
            case Red::kL1: acc += std::fabs(v); break;
            case Red::kL2: case Red::kSumSquare: acc += v * v; break;
            case Red::kLogSumExp: acc += std::exp(v - mx); break;
          }
          for (int d = static_cast<int>(red.size()) - 1; d >= 0 && ++rp[d] == red[d]; --d) rp[d] = 0;
        }
        switch (kind_) {
          case Red::kMean: acc = n_red ? acc / n_red : std::numeric_limits<double>::quiet_NaN(); break;
          case Red::kL2: acc = std::sqrt(acc); break;
          case Red::kLogSum: acc = std::log(acc); break;
          case Red::kLogSumExp: acc = std::log(acc) + mx; break;
          default: break;
        }
        dst[o] = static_cast<T>(acc);
      }
    };
    if (ctx.pool && n_out * n_red > (1 << 15)) ctx.pool->parallel_for(n_out, 16, body);
    else body(0, n_out);
  }

  Red kind_;
  std::string name_;
  std::vector<int64_t> axes_attr_;
  bool axes_input_, keepdims_, noop_empty_;
  std::vector<bool> reduced_;
};

}  // namespace

#define EZ_REDUCE(NAME, KIND, INPUT_OPSET) \
  Result<KernelPtr> create_##NAME(const KernelConfig& c) { return KernelPtr(new ReduceKernel(c, Red::KIND, c.opset >= INPUT_OPSET)); }
EZ_REDUCE(ReduceSum, kSum, 13)
EZ_REDUCE(ReduceMean, kMean, 18)
EZ_REDUCE(ReduceMax, kMax, 18)
EZ_REDUCE(ReduceMin, kMin, 18)
EZ_REDUCE(ReduceProd, kProd, 18)
EZ_REDUCE(ReduceL1, kL1, 18)
EZ_REDUCE(ReduceL2, kL2, 18)
EZ_REDUCE(ReduceLogSum, kLogSum, 18)
EZ_REDUCE(ReduceLogSumExp, kLogSumExp, 18)
EZ_REDUCE(ReduceSumSquare, kSumSquare, 18)
#undef EZ_REDUCE

}  // namespace ez::ops
