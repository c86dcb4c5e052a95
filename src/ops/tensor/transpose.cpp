// Transpose. The general case walks the output in order with the input's permuted strides;
// when only the last two dims swap (YOLO heads: [1,84,8400] -> [1,8400,84]) a blocked 2-D
// transpose keeps both sides cache-friendly.
#include <cstring>
#include <numeric>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

template <typename T>
void transpose_2d(const T* src, T* dst, int64_t rows, int64_t cols) {
  constexpr int64_t kB = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kB)
    for (int64_t c0 = 0; c0 < cols; c0 += kB)
      for (int64_t r = r0; r < std::min(rows, r0 + kB); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + kB); ++c) dst[c * rows + r] = src[r * cols + c];
}

template <typename T>
void transpose_nd(const Tensor& x, Tensor& y, const std::vector<int64_t>& perm, const ThreadPool* pool) {
  const Shape& is = x.shape();
  const int rank = static_cast<int>(is.size());
  const std::vector<int64_t> istr = shape_strides(is);
  const Shape& os = y.shape();
  std::vector<int64_t> pstr(rank);
  for (int d = 0; d < rank; ++d) pstr[d] = istr[perm[d]];
  const T* src = x.data<T>();
  T* dst = y.data<T>();
  // Swap of the last two dims (with any leading batch dims kept in place).
  bool last_two = rank >= 2;
  for (int d = 0; d < rank - 2 && last_two; ++d) last_two = perm[d] == d;
  last_two = last_two && perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
  if (last_two) {
    const int64_t rows = is[rank - 2], cols = is[rank - 1], mats = x.numel() / std::max<int64_t>(rows * cols, 1);
    for (int64_t m = 0; m < mats; ++m) transpose_2d(src + m * rows * cols, dst + m * rows * cols, rows, cols);
    return;
  }
  const int64_t inner = rank ? os[rank - 1] : 1;
  const int64_t istep = rank ? pstr[rank - 1] : 0;
  const int64_t rows = inner ? y.numel() / inner : 0;
  auto body = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t off = 0, rem = r;
      for (int d = rank - 2; d >= 0; --d) {
        off += (rem % os[d]) * pstr[d];
        rem /= os[d];
      }
      T* out = dst + r * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = src[off + i * istep];
    }
  };
  if (pool) pool->parallel_for(rows, 64, body);
  else body(0, rows);
}

class TransposeKernel final : public Kernel {
 public:
  explicit TransposeKernel(std::vector<int64_t> perm) : perm_attr_(std::move(perm)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, "Transpose"));
    const Shape& s = in[0].desc.shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    perm_ = perm_attr_;
    if (perm_.empty()) {
      perm_.resize(rank);
      std::iota(perm_.rbegin(), perm_.rend(), 0);
    }
    if (static_cast<int64_t>(perm_.size()) != rank) return invalid_model("Transpose: perm length differs from rank");
    std::vector<bool> seen(rank, false);
    Shape os(rank);
    for (int64_t d = 0; d < rank; ++d) {
      EZ_ASSIGN_OR_RETURN(perm_[d], normalize_axis(perm_[d], rank, "Transpose"));
      if (seen[perm_[d]]) return invalid_model("Transpose: perm is not a permutation");
      seen[perm_[d]] = true;
      os[d] = s[perm_[d]];
    }
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    switch (dtype_size(in[0]->dtype())) {
      case 1: transpose_nd<uint8_t>(*in[0], out[0], perm_, ctx.pool); break;
      case 2: transpose_nd<uint16_t>(*in[0], out[0], perm_, ctx.pool); break;
      case 4: transpose_nd<uint32_t>(*in[0], out[0], perm_, ctx.pool); break;
      case 8: transpose_nd<uint64_t>(*in[0], out[0], perm_, ctx.pool); break;
      default: return unsupported("Transpose dtype");
    }
    return Status::OK();
  }

 private:
  std::vector<int64_t> perm_attr_, perm_;
};

}  // namespace

Result<KernelPtr> create_Transpose(const KernelConfig& c) { return KernelPtr(new TransposeKernel(c.attrs.get_ints("perm"))); }

}  // namespace ez::ops
