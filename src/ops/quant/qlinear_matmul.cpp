// QLinearMatMul (reference): numpy.matmul of uint8/int8 A and B (1-D operands promoted, batch dims
// broadcast) with zero points, int32 accumulation, requantised to y's dtype:
//   y[m,n] = saturate(round(sum_k (a[m,k] - a_zp[m])(b[k,n] - b_zp[n]) * s_a[m]*s_b[n]/s_y[m]) + y_zp[m]).
// a's and y's scale / zero point are per tensor or per row (M values), b's per tensor or per
// column (N values), as the specification allows.
#include "ops/quant/qlinear_common.h"

namespace ez::ops {
namespace {

using namespace qlinear;

class QLinearMatMulKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 8, 8, "QLinearMatMul"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[0], {DType::kUInt8, DType::kInt8}, "QLinearMatMul", "a"));
    EZ_RETURN_IF_ERROR(expect_dtype(in[3], {DType::kUInt8, DType::kInt8}, "QLinearMatMul", "b"));
    for (size_t i : {1, 4, 6}) EZ_RETURN_IF_ERROR(expect_dtype(in[i], {DType::kFloat32}, "QLinearMatMul", "scale"));
    const DType yt = output_dtype(in, 7);
    if (!is_8bit(yt)) return invalid_model("QLinearMatMul: y_zero_point must be uint8 or int8");
    Shape a = in[0].desc.shape, b = in[3].desc.shape;
    if (a.empty() || b.empty()) return invalid_model("QLinearMatMul: scalar operands");
    const bool a1 = a.size() == 1, b1 = b.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) b.push_back(1);
    if (a.back() != b[b.size() - 2])
      return invalid_model("QLinearMatMul: " + shape_to_string(in[0].desc.shape) + " x " + shape_to_string(in[3].desc.shape) +
                           " do not fit");
    const Shape ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    EZ_ASSIGN_OR_RETURN(batch_, broadcast_shapes(ab, bb));
    M_ = a[a.size() - 2];
    K_ = a.back();
    N_ = b.back();
    // Batch strides of A and B (0 along broadcast dims), aligned to the output's batch dims.
    a_strides_ = batch_strides(ab, M_ * K_);
    b_strides_ = batch_strides(bb, K_ * N_);
    Shape os = batch_;
    if (!a1) os.push_back(M_);
    if (!b1) os.push_back(N_);
    (*out)[0] = {yt, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    EZ_ASSIGN_OR_RETURN(QParams aq, read_qparams(*in[1], in[2], M_, "QLinearMatMul: a"));
    EZ_ASSIGN_OR_RETURN(QParams bq, read_qparams(*in[4], in[5], N_, "QLinearMatMul: b"));
    EZ_ASSIGN_OR_RETURN(QParams yq, read_qparams(*in[6], in[7], M_, "QLinearMatMul: y"));
    Tensor& y = out[0];
    const int64_t batches = shape_numel(batch_), R = static_cast<int64_t>(batch_.size());
    const size_t ye = dtype_size(y.dtype());
    auto work = [&](int64_t b0, int64_t b1) {
      std::vector<int32_t> A(M_ * K_), B(K_ * N_), acc(M_ * N_);
      for (int64_t i = b0; i < b1; ++i) {
        int64_t ao = 0, bo = 0, rem = i;
        for (int64_t d = R - 1; d >= 0; --d) {
          const int64_t idx = rem % batch_[d];
          rem /= batch_[d];
          ao += idx * a_strides_[d];
          bo += idx * b_strides_[d];
        }
        for (int64_t m = 0; m < M_; ++m) to_int32(*in[0], ao + m * K_, K_, aq.z(m), A.data() + m * K_);
        for (int64_t k = 0; k < K_; ++k) {
          to_int32(*in[3], bo + k * N_, N_, 0, B.data() + k * N_);
          for (int64_t n = 0; n < N_; ++n) B[k * N_ + n] -= bq.z(n);
        }
        int_gemm(M_, N_, K_, A.data(), B.data(), acc.data());
        char* yb = static_cast<char*>(y.raw()) + i * M_ * N_ * ye;
        for (int64_t m = 0; m < M_; ++m) {
          if (!bq.per_channel()) {
            requantize_row(acc.data() + m * N_, N_, aq.s(m) * bq.s(0) / yq.s(m), yq.z(m), y.dtype(), yb + m * N_ * ye);
            continue;
          }
          for (int64_t n = 0; n < N_; ++n)
            requantize_row(acc.data() + m * N_ + n, 1, aq.s(m) * bq.s(n) / yq.s(m), yq.z(m), y.dtype(), yb + (m * N_ + n) * ye);
        }
      }
    };
    if (ctx.pool && batches > 1 && batches * M_ * N_ * K_ > (1 << 16)) ctx.pool->parallel_for(batches, 1, work);
    else work(0, batches);
    return Status::OK();
  }

 private:
  // Element strides per output batch dim for an operand with batch dims `b` and matrices of
  // `matrix` elements (right-aligned; 0 where the operand broadcasts).
  std::vector<int64_t> batch_strides(const Shape& b, int64_t matrix) const {
    std::vector<int64_t> s(batch_.size(), 0);
    int64_t stride = matrix;
    for (int64_t d = static_cast<int64_t>(b.size()) - 1, o = static_cast<int64_t>(batch_.size()) - 1; d >= 0; --d, --o) {
      if (b[d] != 1) s[o] = stride;
      stride *= b[d];
    }
    return s;
  }

  Shape batch_;
  int64_t M_ = 0, K_ = 0, N_ = 0;
  std::vector<int64_t> a_strides_, b_strides_;
};

}  // namespace

Result<KernelPtr> create_QLinearMatMul(const KernelConfig&) { return KernelPtr(new QLinearMatMulKernel()); }

}  // namespace ez::ops
