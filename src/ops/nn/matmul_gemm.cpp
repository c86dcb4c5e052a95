// MatMul (NumPy batched broadcasting, 1-D operands promoted and squeezed back) and Gemm
// (alpha, beta, transA, transB, optional broadcast C), float32 through gemm_ref.
#include <cstring>

#include "ops/nn/gemm_ref.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

class MatMulKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 2, "MatMul"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32}, "MatMul", "A"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[1], {DType::kFloat32}, "MatMul", "B"));
    Shape a = in[0].desc.shape, b = in[1].desc.shape;
    if (a.empty() || b.empty()) return invalid_model("MatMul: scalar operands");
    const bool a1 = a.size() == 1, b1 = b.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) b.push_back(1);
    if (a.back() != b[b.size() - 2])
      return invalid_model("MatMul: inner dimensions differ: " + shape_to_string(in[0].desc.shape) + " x " +
                           shape_to_string(in[1].desc.shape));
    EZ_ASSIGN_OR_RETURN(Shape batch, broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2)));
    Shape os = batch;
    if (!a1) os.push_back(a[a.size() - 2]);
    if (!b1) os.push_back(b.back());
    a_ = a;
    b_ = b;
    batch_ = batch;
    (*out)[0] = {DType::kFloat32, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const int64_t M = a_[a_.size() - 2], K = a_.back(), N = b_.back();
    const Shape ab(a_.begin(), a_.end() - 2), bb(b_.begin(), b_.end() - 2);
    const int64_t batches = shape_numel(batch_);
    const int rank = static_cast<int>(batch_.size());
    std::vector<int64_t> pos(rank, 0);
    for (int64_t i = 0; i < batches; ++i) {
      // Batch offsets of A and B with broadcasting (size-1 or missing dims repeat).
      int64_t oa = 0, ob = 0;
      for (int d = 0; d < rank; ++d) {
        const int da = d - (rank - static_cast<int>(ab.size())), db = d - (rank - static_cast<int>(bb.size()));
        if (da >= 0) oa = oa * ab[da] + (ab[da] == 1 ? 0 : pos[d]);
        if (db >= 0) ob = ob * bb[db] + (bb[db] == 1 ? 0 : pos[d]);
      }
      gemm_ref(M, N, K, in[0]->data<float>() + oa * M * K, K, in[1]->data<float>() + ob * K * N, N,
               out[0].data<float>() + i * M * N, N, false, ctx.pool);
      for (int d = rank - 1; d >= 0 && ++pos[d] == batch_[d]; --d) pos[d] = 0;
    }
    return Status::OK();
  }

 private:
  Shape a_, b_, batch_;
};

class GemmKernel final : public Kernel {
 public:
  explicit GemmKernel(const KernelConfig& c)
      : alpha_(c.attrs.get_float("alpha", 1.0f)), beta_(c.attrs.get_float("beta", 1.0f)),
        ta_(c.attrs.get_int("transA", 0) != 0), tb_(c.attrs.get_int("transB", 0) != 0) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 3, "Gemm"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kFloat32}, "Gemm", "A"));
    const Shape& a = in[0].desc.shape;
    const Shape& b = in[1].desc.shape;
    if (a.size() != 2 || b.size() != 2) return invalid_model("Gemm: A and B must be 2-D");
    M_ = ta_ ? a[1] : a[0];
    K_ = ta_ ? a[0] : a[1];
    N_ = tb_ ? b[0] : b[1];
    if ((tb_ ? b[1] : b[0]) != K_) return invalid_model("Gemm: inner dimensions differ");
    if (in.size() > 2 && in[2].present()) {
      EZ_ASSIGN_OR_RETURN(Shape c, broadcast_shapes(in[2].desc.shape, {M_, N_}));
      if (c != Shape{M_, N_}) return invalid_model("Gemm: C does not broadcast to [M,N]");
    }
    (*out)[0] = {DType::kFloat32, {M_, N_}};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    // Materialise op(A) and op(B) row-major, multiply, then scale and add beta*C.
    auto plain = [](const Tensor& t, bool trans, int64_t rows, int64_t cols) {
      std::vector<float> m(rows * cols);
      const float* p = t.data<float>();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) m[r * cols + c] = trans ? p[c * rows + r] : p[r * cols + c];
      return m;
    };
    const std::vector<float> A = plain(*in[0], ta_, M_, K_), B = plain(*in[1], tb_, K_, N_);
    float* y = out[0].data<float>();
    gemm_ref(M_, N_, K_, A.data(), K_, B.data(), N_, y, N_, false, ctx.pool);
    const Tensor* C = in.size() > 2 ? in[2] : nullptr;
    const Shape cs = C ? C->shape() : Shape{};
    for (int64_t m = 0; m < M_; ++m)
      for (int64_t n = 0; n < N_; ++n) {
        float v = alpha_ * y[m * N_ + n];
        if (C) {
          const int64_t cm = cs.size() == 2 && cs[0] != 1 ? m : 0;
          const int64_t cn = !cs.empty() && cs.back() != 1 ? n : 0;
          v += beta_ * C->data<float>()[cm * (cs.empty() ? 1 : cs.back()) + cn];
        }
        y[m * N_ + n] = v;
      }
    return Status::OK();
  }

 private:
  float alpha_, beta_;
  bool ta_, tb_;
  int64_t M_ = 0, N_ = 0, K_ = 0;
};

}  // namespace

Result<KernelPtr> create_MatMul(const KernelConfig&) { return KernelPtr(new MatMulKernel()); }
Result<KernelPtr> create_Gemm(const KernelConfig& c) { return KernelPtr(new GemmKernel(c)); }

}  // namespace ez::ops
