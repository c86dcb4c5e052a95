// MaxPool (with optional Indices; float, and int8/uint8 as opset 12 allows), AveragePool
// (count_include_pad), LpPool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool over any number of
// spatial dims. Windows follow conv_geometry.
#include <cmath>
#include <limits>

#include "ops/nn/conv_geometry.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Pool { kMax, kAverage, kLp };

class PoolKernel final : public Kernel {
 public:
  PoolKernel(const KernelConfig& c, Pool kind, bool global)
      : attrs_(c.attrs), kind_(kind), global_(global), name_(c.op_type),
        count_pad_(c.attrs.get_int("count_include_pad", 0) != 0), storage_order_(c.attrs.get_int("storage_order", 0)),
        p_(c.attrs.get_int("p", 2)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, name_.c_str()));
    const Shape& x = in[0].desc.shape;
    if (x.size() < 3) return invalid_model(name_ + ": input must be N x C x spatial..., got " + shape_to_string(x));
    const DType t = in[0].desc.dtype;
    const bool int8_max = kind_ == Pool::kMax && (t == DType::kUInt8 || t == DType::kInt8);  // MaxPool-12
    if (!int8_max && (!dtype_is_float(t) || t == DType::kFloat16 || t == DType::kBFloat16))
      return unsupported(name_ + " on " + dtype_name(t));
    const Shape spatial(x.begin() + 2, x.end());
    WindowAttrs wa;
    if (global_) {
      wa.kernel = spatial;
      wa.strides.assign(spatial.size(), 1);
      wa.dilations.assign(spatial.size(), 1);
      wa.pads.assign(2 * spatial.size(), 0);
    } else {
      if (!attrs_.has("kernel_shape")) return invalid_model(name_ + ": missing kernel_shape");
      EZ_ASSIGN_OR_RETURN(wa, WindowAttrs::from(attrs_, spatial.size(), {}, name_.c_str()));
    }
    EZ_ASSIGN_OR_RETURN(geom_, window_geometry(wa, spatial, name_.c_str()));
    Shape os = {x[0], x[1]};
    os.insert(os.end(), geom_.out.begin(), geom_.out.end());
    (*out)[0] = {in[0].desc.dtype, os};
    if (out->size() > 1) (*out)[1] = {DType::kInt64, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    Status s;
    if (in[0]->dtype() == DType::kUInt8) pool<uint8_t>(*in[0], out, ctx);
    else if (in[0]->dtype() == DType::kInt8) pool<int8_t>(*in[0], out, ctx);
    else EZ_DISPATCH_FLOAT(in[0]->dtype(), T, s = unsupported(name_ + " dtype"), pool<T>(*in[0], out, ctx));
    return s;
  }

 private:
  template <typename T>
  void pool(const Tensor& x, std::vector<Tensor>& out, const RunContext& ctx) {
    const int64_t planes = x.dim(0) * x.dim(1);
    const int64_t is = geom_.in_size(), os = geom_.out_size();
    const size_t S = geom_.in.size();
    const T* src = x.data<T>();
    T* dst = out[0].data<T>();
    int64_t* idx = out.size() > 1 ? out[1].data<int64_t>() : nullptr;
    auto body = [&](int64_t p0, int64_t p1) {
      std::vector<int64_t> opos(S), kpos(S), coords(S);
      for (int64_t p = p0; p < p1; ++p) {
        std::fill(opos.begin(), opos.end(), 0);
        for (int64_t o = 0; o < os; ++o) {
          double acc = kind_ == Pool::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
          int64_t best = -1, count = 0, window = 0;
          std::fill(kpos.begin(), kpos.end(), 0);
          for (int64_t k = 0; k < geom_.kernel_size(); ++k) {
            int64_t off = 0;
            bool inside = true, in_padded = true;
            for (size_t d = 0; d < S; ++d) {
              const int64_t c = opos[d] * geom_.strides[d] - geom_.pad_begin[d] + kpos[d] * geom_.dilations[d];
              inside = inside && c >= 0 && c < geom_.in[d];
              in_padded = in_padded && c < geom_.in[d] + geom_.pad_end[d];
              coords[d] = c;
              off = off * geom_.in[d] + c;
            }
            if (in_padded) ++window;
            if (inside) {
              const double v = src[p * is + off];
              if (kind_ == Pool::kMax) {
                if (v > acc || best < 0) {
                  acc = v;
                  // storage_order 1 = column major index over the spatial dims
                  int64_t flat = off;
                  if (storage_order_ == 1 && S == 2) flat = coords[1] * geom_.in[0] + coords[0];
                  best = flat;
                }
              } else if (kind_ == Pool::kAverage) {
                acc += v;
              } else {
                acc += std::pow(std::fabs(v), static_cast<double>(p_));
              }
              ++count;
            }
            for (int d = static_cast<int>(S) - 1; d >= 0 && ++kpos[d] == geom_.kernel[d]; --d) kpos[d] = 0;
          }
          T r;
          if (kind_ == Pool::kMax) r = static_cast<T>(acc);
          else if (kind_ == Pool::kAverage) r = static_cast<T>(acc / std::max<int64_t>(1, count_pad_ ? window : count));
          else r = static_cast<T>(std::pow(acc, 1.0 / p_));
          dst[p * os + o] = r;
          if (idx) idx[p * os + o] = best + p * is;
          for (int d = static_cast<int>(S) - 1; d >= 0 && ++opos[d] == geom_.out[d]; --d) opos[d] = 0;
        }
      }
    };
    if (ctx.pool) ctx.pool->parallel_for(planes, 1, body);
    else body(0, planes);
  }

  Attributes attrs_;
  Pool kind_;
  bool global_;
  std::string name_;
  bool count_pad_;
  int64_t storage_order_, p_;
  WindowGeometry geom_;
};

}  // namespace

Result<KernelPtr> create_MaxPool(const KernelConfig& c) { return KernelPtr(new PoolKernel(c, Pool::kMax, false)); }
Result<KernelPtr> create_AveragePool(const KernelConfig& c) { return KernelPtr(new PoolKernel(c, Pool::kAverage, false)); }
Result<KernelPtr> create_LpPool(const KernelConfig& c) { return KernelPtr(new PoolKernel(c, Pool::kLp, false)); }
Result<KernelPtr> create_GlobalAveragePool(const KernelConfig& c) { return KernelPtr(new PoolKernel(c, Pool::kAverage, true)); }
Result<KernelPtr> create_GlobalMaxPool(const KernelConfig& c) { return KernelPtr(new PoolKernel(c, Pool::kMax, true)); }
Result<KernelPtr> create_GlobalLpPool(const KernelConfig& c) { return KernelPtr(new PoolKernel(c, Pool::kLp, true)); }

}  // namespace ez::ops
