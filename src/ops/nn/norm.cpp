// BatchNormalization (inference), InstanceNormalization, LayerNormalization (opset 17: axis,
// epsilon, optional Mean / InvStdDev outputs). Statistics accumulate in double.
#include <cmath>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const KernelConfig& c)
      : eps_(c.attrs.get_float("epsilon", 1e-5f)), training_(c.attrs.get_int("training_mode", 0) != 0) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 5, 5, "BatchNormalization"));
    if (training_ || out->size() > 1) return unsupported("BatchNormalization in training mode (inference only)");
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32, DType::kFloat64}, "BatchNormalization", "X"));
    const Shape& x = in[0].desc.shape;
    const int64_t C = x.size() > 1 ? x[1] : 1;
    for (int i = 1; i < 5; ++i)
      if (shape_numel(in[i].desc.shape) != C) return invalid_model("BatchNormalization: parameter " + std::to_string(i) + " does not have C values");
    (*out)[0] = in[0].desc;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const Tensor& x = *in[0];
    const int64_t N = x.dim(0), C = x.rank() > 1 ? x.dim(1) : 1;
    const int64_t inner = (N * C != 0) ? x.numel() / (N * C) : 0;
    Status s;
    EZ_DISPATCH_FLOAT(x.dtype(), T, s = unsupported("BatchNormalization dtype"), {
      for (int64_t c = 0; c < C; ++c) {
        const double scale = in[1]->at_double(c) / std::sqrt(in[4]->at_double(c) + eps_);
        const double shift = in[2]->at_double(c) - in[3]->at_double(c) * scale;
        for (int64_t n = 0; n < N; ++n) {
          const T* src = x.data<T>() + (n * C + c) * inner;
          T* dst = out[0].data<T>() + (n * C + c) * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] = static_cast<T>(src[i] * scale + shift);
        }
      }
    });
    return s;
  }

 private:
  float eps_;
  bool training_;
};

// Normalises groups of `inner` contiguous values: y = (x - mean) / sqrt(var + eps) * scale + bias,
// where scale/bias are indexed by `param_index(group, i)`.
class NormKernel final : public Kernel {
 public:
  NormKernel(const KernelConfig& c, bool layer)
      : layer_(layer), eps_(c.attrs.get_float("epsilon", 1e-5f)), axis_(c.attrs.get_int("axis", -1)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = layer_ ? "LayerNormalization" : "InstanceNormalization";
    EZ_RETURN_IF_ERROR(expect_input_count(in, layer_ ? 2 : 3, 3, op));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32, DType::kFloat64}, op, "X"));
    const Shape& x = in[0].desc.shape;
    if (layer_) {
      EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, static_cast<int64_t>(x.size()), op));
    } else {
      if (x.size() < 3) return invalid_model("InstanceNormalization: input must be N x C x spatial...");
      axis_n_ = 2;
    }
    (*out)[0] = in[0].desc;
    Shape stat(x.begin(), x.end());
    for (size_t d = axis_n_; d < stat.size(); ++d) stat[d] = 1;
    for (size_t o = 1; o < out->size(); ++o) (*out)[o] = {DType::kFloat32, stat};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    int64_t inner = 1;
    for (int64_t d = axis_n_; d < x.rank(); ++d) inner *= x.dim(d);
    const int64_t groups = inner ? x.numel() / inner : 0;
    const int64_t C = layer_ ? 0 : x.dim(1);
    Status s;
    EZ_DISPATCH_FLOAT(x.dtype(), T, s = unsupported("normalization dtype"), {
      auto body = [&](int64_t g0, int64_t g1) {
        for (int64_t g = g0; g < g1; ++g) {
          const T* src = x.data<T>() + g * inner;
          T* dst = out[0].data<T>() + g * inner;
          double mean = 0, var = 0;
          for (int64_t i = 0; i < inner; ++i) mean += src[i];
          mean /= inner;
          for (int64_t i = 0; i < inner; ++i) var += (src[i] - mean) * (src[i] - mean);
          var /= inner;
          const double inv = 1.0 / std::sqrt(var + eps_);
          for (int64_t i = 0; i < inner; ++i) {
            // LayerNorm: scale/bias broadcast over the normalised dims; InstanceNorm: per channel.
            const int64_t pi = layer_ ? i : (g % C);
            const double sc = layer_ ? in[1]->at_double(in[1]->numel() == 1 ? 0 : pi % in[1]->numel()) : in[1]->at_double(pi);
            const double b = in.size() > 2 && in[2] ? in[2]->at_double(layer_ ? (in[2]->numel() == 1 ? 0 : pi % in[2]->numel()) : pi) : 0.0;
            dst[i] = static_cast<T>((src[i] - mean) * inv * sc + b);
          }
          if (out.size() > 1) out[1].data<float>()[g] = static_cast<float>(mean);
          if (out.size() > 2) out[2].data<float>()[g] = static_cast<float>(inv);
        }
      };
      if (ctx.pool) ctx.pool->parallel_for(groups, 1, body);
      else body(0, groups);
    });
    return s;
  }

 private:
  bool layer_;
  float eps_;
  int64_t axis_, axis_n_ = 0;
};

}  // namespace

Result<KernelPtr> create_BatchNormalization(const KernelConfig& c) { return KernelPtr(new BatchNormKernel(c)); }
Result<KernelPtr> create_InstanceNormalization(const KernelConfig& c) { return KernelPtr(new NormKernel(c, false)); }
Result<KernelPtr> create_LayerNormalization(const KernelConfig& c) { return KernelPtr(new NormKernel(c, true)); }

}  // namespace ez::ops
