#include "quant/bias_correction.h"

namespace ez::quant {
namespace {

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t int_attr(const onnx::NodeProto& n, const std::string& name, int64_t dflt) {
  const onnx::AttributeProto* a = attr(n, name);
  return a ? a->i() : dflt;
}
float float_attr(const onnx::NodeProto& n, const std::string& name, float dflt) {
  const onnx::AttributeProto* a = attr(n, name);
  return a ? a->f() : dflt;
}

}  // namespace

std::vector<double> conv_output_shift(const Tensor& w, const Tensor& wq, int64_t group, const ChannelErrorStats& in) {
  if (w.rank() < 2 || w.shape() != wq.shape() || w.dtype() != DType::kFloat32 || wq.dtype() != DType::kFloat32 || group < 1)
    return {};
  const int64_t out = w.dim(0), per_group_in = w.dim(1), taps = w.numel() / std::max<int64_t>(1, out * per_group_in);
  if (out % group != 0 || static_cast<int64_t>(in.mean.size()) != per_group_in * group || in.error.size() != in.mean.size())
    return {};
  const int64_t out_per_group = out / group;
  const float* pw = w.data<float>();
  const float* pq = wq.data<float>();
  std::vector<double> shift(static_cast<size_t>(out), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const int64_t first = (o / out_per_group) * per_group_in;  // the group's first input channel
    double s = 0;
    for (int64_t j = 0; j < per_group_in; ++j) {
      double dw = 0, q = 0;
      for (int64_t k = 0; k < taps; ++k) {
        const int64_t i = (o * per_group_in + j) * taps + k;
        dw += static_cast<double>(pq[i]) - pw[i];
        q += pq[i];
      }
      s += dw * in.mean[first + j] + q * in.error[first + j];
    }
    shift[o] = s;
  }
  return shift;
}

std::vector<double> gemm_output_shift(const Tensor& b, const Tensor& bq, bool trans_b, const ChannelErrorStats& in) {
  if (b.rank() != 2 || b.shape() != bq.shape() || b.dtype() != DType::kFloat32 || bq.dtype() != DType::kFloat32) return {};
  const int64_t k_dim = trans_b ? b.dim(1) : b.dim(0), n_dim = trans_b ? b.dim(0) : b.dim(1);
  if (static_cast<int64_t>(in.mean.size()) != k_dim || in.error.size() != in.mean.size()) return {};
  const float* pb = b.data<float>();
  const float* pq = bq.data<float>();
  std::vector<double> shift(static_cast<size_t>(n_dim), 0.0);
  for (int64_t k = 0; k < k_dim; ++k)
    for (int64_t n = 0; n < n_dim; ++n) {
      const int64_t i = trans_b ? n * k_dim + k : k * n_dim + n;
      shift[n] += (static_cast<double>(pq[i]) - pb[i]) * in.mean[k] + static_cast<double>(pq[i]) * in.error[k];
    }
  return shift;
}

Tensor dequantize_weight(const Tensor& q, const std::vector<float>& scales, int axis) {
  Tensor f = Tensor::zeros(DType::kFloat32, q.shape());
  const int64_t channels = axis < 0 ? 1 : q.dim(axis);
  int64_t inner = 1;
  for (int64_t d = axis + 1; axis >= 0 && d < q.rank(); ++d) inner *= q.dim(d);
  const int8_t* pq = q.data<int8_t>();
  float* pf = f.data<float>();
  for (int64_t i = 0; i < q.numel(); ++i) {
    const int64_t c = axis < 0 ? 0 : (i / inner) % channels;
    pf[i] = static_cast<float>(pq[i]) * scales[static_cast<size_t>(c) < scales.size() ? c : 0];
  }
  return f;
}

std::optional<Tensor> corrected_bias(const onnx::NodeProto& node, const Tensor* bias, const Tensor& w, const Tensor& wq,
                                     const ChannelErrorStats& in) {
  std::vector<double> shift;
  double per_unit = 1;  // what one unit of the bias adds to the output
  if (node.op_type() == "Conv") {
    shift = conv_output_shift(w, wq, int_attr(node, "group", 1), in);
  } else if (node.op_type() == "Gemm" && bias && int_attr(node, "transA", 0) == 0) {
    // Y = alpha A B + beta C: the shift is alpha times the product's.
    const double alpha = float_attr(node, "alpha", 1.0f), beta = float_attr(node, "beta", 1.0f);
    if (beta == 0) return std::nullopt;
    shift = gemm_output_shift(w, wq, int_attr(node, "transB", 0) != 0, in);
    for (double& s : shift) s *= alpha;
    per_unit = beta;
  }
  if (shift.empty()) return std::nullopt;
  if (bias && (bias->dtype() != DType::kFloat32 || bias->rank() != 1 || bias->dim(0) != static_cast<int64_t>(shift.size())))
    return std::nullopt;
  Tensor b = Tensor::zeros(DType::kFloat32, {static_cast<int64_t>(shift.size())});
  for (size_t o = 0; o < shift.size(); ++o)
    b.data<float>()[o] = static_cast<float>((bias ? static_cast<double>(bias->data<float>()[o]) : 0.0) - shift[o] / per_unit);
  return b;
}

}  // namespace ez::quant
