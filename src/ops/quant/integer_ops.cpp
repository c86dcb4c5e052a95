// ConvInteger and MatMulInteger: uint8/int8 inputs with zero points, exact int32 outputs. ConvInteger
// also has an internal form (attribute output_float, inputs 4 and 5: a float scalar scale and a
// [M] bias; passes/fuse_conv_integer_output.cpp) that writes float(acc) * scale + bias[m].
// (x - x_zero_point) values fit exactly in float, so the float im2col is reused; products are
// accumulated in int32 as the specification requires.
#include <cstring>

#include "ops/nn/conv_geometry.h"
#include "ops/nn/im2col.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

// C[M,N] = A[M,K] * B[K,N] in int32 (A and B hold small integers stored as int32 / float).
template <typename TA, typename TB>
void int_gemm(int64_t M, int64_t N, int64_t K, const TA* A, const TB* B, int32_t* C, const ThreadPool* pool) {
  auto rows = [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      int32_t* c = C + m * N;
      std::memset(c, 0, sizeof(int32_t) * N);
      for (int64_t k = 0; k < K; ++k) {
        const int32_t a = static_cast<int32_t>(A[m * K + k]);
        const TB* b = B + k * N;
        for (int64_t n = 0; n < N; ++n) c[n] += a * static_cast<int32_t>(b[n]);
      }
    }
  };
  if (pool && M * N * K > (1 << 18)) pool->parallel_for(M, 2, rows);
  else rows(0, M);
}

double zero_point(const Tensor* zp, int64_t i) {
  if (!zp || zp->numel() == 0) return 0.0;
  return zp->at_double(zp->numel() == 1 ? 0 : i);
}

class ConvIntegerKernel final : public Kernel {
 public:
  explicit ConvIntegerKernel(const KernelConfig& c)
      : attrs_(c.attrs), group_(c.attrs.get_int("group", 1)), output_float_(c.attrs.get_int("output_float", 0) != 0) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, output_float_ ? 6 : 4, "ConvInteger"));
    if (output_float_) {  // internal form (passes/fuse_conv_integer_output.cpp): + scale [, bias]
      if (in.size() < 5 || !in[4].present() || in[4].desc.dtype != DType::kFloat32 || shape_numel(in[4].desc.shape) != 1)
        return invalid_model("ConvInteger with output_float needs a float scalar scale (input 4)");
      if (in.size() > 5 && in[5].present() &&
          (in[5].desc.dtype != DType::kFloat32 || in[5].desc.shape != Shape{in[1].desc.shape.empty() ? 0 : in[1].desc.shape[0]}))
        return invalid_model("ConvInteger with output_float: the bias (input 5) must be float [M]");
    }
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kUInt8, DType::kInt8}, "ConvInteger", "x"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[1], {DType::kUInt8, DType::kInt8}, "ConvInteger", "w"));
    const Shape& x = in[0].desc.shape;
    const Shape& w = in[1].desc.shape;
    if (x.size() < 3 || w.size() != x.size() || group_ <= 0 || x[1] % group_ || w[0] % group_ || x[1] / group_ != w[1])
      return invalid_model("ConvInteger: X " + shape_to_string(x) + " and W " + shape_to_string(w) + " do not fit (group " +
                           std::to_string(group_) + ")");
    const size_t S = x.size() - 2;
    EZ_ASSIGN_OR_RETURN(WindowAttrs wa, WindowAttrs::from(attrs_, S, Shape(w.begin() + 2, w.end()), "ConvInteger"));
    EZ_ASSIGN_OR_RETURN(geom_, window_geometry(wa, Shape(x.begin() + 2, x.end()), "ConvInteger"));
    Shape os = {x[0], w[0]};
    os.insert(os.end(), geom_.out.begin(), geom_.out.end());
    (*out)[0] = {output_float_ ? DType::kFloat32 : DType::kInt32, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    // With output_float the int32 sums go to the (same-sized) float output first, then become
    // float(acc) * s + bias[m] in place: Cast, Mul and Add as the unfused nodes compute them.
    int32_t* acc = static_cast<int32_t*>(out[0].raw());
    const Tensor& x = *in[0];
    const Tensor& w = *in[1];
    const Tensor* xzp = in.size() > 2 ? in[2] : nullptr;
    const Tensor* wzp = in.size() > 3 ? in[3] : nullptr;
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), Cg = C / group_, Mg = M / group_;
    const int64_t is = geom_.in_size(), os = geom_.out_size(), K = Cg * geom_.kernel_size();
    // Weights minus their (per output channel or scalar) zero point, as int32, once per run.
    std::vector<int32_t> wq(M * K);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k) wq[m * K + k] = static_cast<int32_t>(w.at_double(m * K + k) - zero_point(wzp, m));
    const double xz = zero_point(xzp, 0);
    std::vector<float> xf(Cg * is), col(K * os);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < group_; ++g) {
        const int64_t base = (n * C + g * Cg) * is;
        for (int64_t i = 0; i < Cg * is; ++i) xf[i] = static_cast<float>(x.at_double(base + i) - xz);
        im2col(xf.data(), Cg, geom_, col.data());
        int_gemm(Mg, os, K, wq.data() + g * Mg * K, col.data(), acc + (n * M + g * Mg) * os, ctx.pool);
      }
    if (output_float_) {
      const float s = in[4]->data<float>()[0];
      const float* bias = in.size() > 5 && in[5] ? in[5]->data<float>() : nullptr;
      float* y = static_cast<float*>(out[0].raw());
      for (int64_t p = 0; p < N * M; ++p)
        for (int64_t i = p * os; i < (p + 1) * os; ++i) {
          int32_t a;
          std::memcpy(&a, y + i, sizeof a);  // the int32 sum in this float's place
          const float v = static_cast<float>(a) * s;
          y[i] = bias ? v + bias[p % M] : v;
        }
    }
    return Status::OK();
  }

 private:
  Attributes attrs_;
  int64_t group_;
  bool output_float_;
  WindowGeometry geom_;
};

class MatMulIntegerKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 4, "MatMulInteger"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kUInt8, DType::kInt8}, "MatMulInteger", "A"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[1], {DType::kUInt8, DType::kInt8}, "MatMulInteger", "B"));
    const Shape& a = in[0].desc.shape;
    const Shape& b = in[1].desc.shape;
    if (a.size() < 2 || b.size() < 2 || a.back() != b[b.size() - 2])
      return invalid_model("MatMulInteger: " + shape_to_string(a) + " x " + shape_to_string(b) + " do not fit");
    EZ_ASSIGN_OR_RETURN(batch_, broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2)));
    a_ = a;
    b_ = b;
    Shape os = batch_;
    os.push_back(a[a.size() - 2]);
    os.push_back(b.back());
    (*out)[0] = {DType::kInt32, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const int64_t M = a_[a_.size() - 2], K = a_.back(), N = b_.back();
    const Tensor* azp = in.size() > 2 ? in[2] : nullptr;
    const Tensor* bzp = in.size() > 3 ? in[3] : nullptr;
    const int64_t batches = shape_numel(batch_);
    const int64_t a_batches = in[0]->numel() / (M * K), b_batches = in[1]->numel() / (K * N);
    std::vector<int32_t> A(M * K), B(K * N);
    for (int64_t i = 0; i < batches; ++i) {
      // Only full or single batches are broadcast here (the shapes ONNX exporters produce).
      const int64_t ia = a_batches == 1 ? 0 : i, ib = b_batches == 1 ? 0 : i;
      for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < K; ++k)
          A[m * K + k] = static_cast<int32_t>(in[0]->at_double(ia * M * K + m * K + k) - zero_point(azp, m));
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          B[k * N + n] = static_cast<int32_t>(in[1]->at_double(ib * K * N + k * N + n) - zero_point(bzp, n));
      int_gemm(M, N, K, A.data(), B.data(), out[0].data<int32_t>() + i * M * N, ctx.pool);
    }
    return Status::OK();
  }

 private:
  Shape a_, b_, batch_;
};

}  // namespace

Result<KernelPtr> create_ConvInteger(const KernelConfig& c) { return KernelPtr(new ConvIntegerKernel(c)); }
Result<KernelPtr> create_MatMulInteger(const KernelConfig&) { return KernelPtr(new MatMulIntegerKernel()); }

}  // namespace ez::ops
