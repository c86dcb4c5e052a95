// Transpose. Dims that stay adjacent and in order are merged first, so NCHW <-> NHWC becomes a
// batched 2-D transpose ([N, C, HW] -> [N, HW, C]), as do YOLO head transposes ([1,84,8400] ->
// [1,8400,84]); those run as cache-blocked tiles. Everything else walks the output in order with
// the input's permuted strides.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

template <typename T>
void transpose_tile(const T* src, T* dst, int64_t rows, int64_t cols, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t c = c0; c < c1; ++c) dst[c * rows + r] = src[r * cols + c];
}

// mats independent [rows, cols] -> [cols, rows] transposes, tiles spread over the pool.
template <typename T>
void transpose_batched_2d(const T* src, T* dst, int64_t mats, int64_t rows, int64_t cols, const ThreadPool* pool) {
  constexpr int64_t kB = 32;
  const int64_t rt = (rows + kB - 1) / kB, ct = (cols + kB - 1) / kB;
  auto body = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t m = t / (rt * ct), r = (t / ct) % rt, c = t % ct;
      transpose_tile(src + m * rows * cols, dst + m * rows * cols, rows, cols, r * kB, std::min(rows, r * kB + kB), c * kB,
                     std::min(cols, c * kB + kB));
    }
  };
  const int64_t tiles = mats * rt * ct;
  if (pool) pool->parallel_for(tiles, 8, body);
  else body(0, tiles);
}

template <typename T>
void transpose_strided(const T* src, T* dst, const Shape& os, const std::vector<int64_t>& pstr, const ThreadPool* pool) {
  const int rank = static_cast<int>(os.size());
  const int64_t numel = shape_numel(os);
  const int64_t inner = rank ? os[rank - 1] : 1;
  const int64_t istep = rank ? pstr[rank - 1] : 0;
  const int64_t rows = inner ? numel / inner : 0;
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

template <typename T>
void transpose_typed(const Tensor& x, Tensor& y, const std::vector<int64_t>& perm, const ThreadPool* pool) {
  // Merge runs of input dims that the permutation keeps adjacent and in order (size-1 dims dropped).
  const Shape& is = x.shape();
  std::vector<int64_t> kept;  // output order of the input dims that are not 1
  for (int64_t p : perm)
    if (is[p] != 1) kept.push_back(p);
  Shape merged_in;                 // merged dims in input order
  std::vector<int> group_of(is.size(), -1);
  std::vector<int64_t> mperm;      // merged permutation
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0 && kept[i] > kept[i - 1] && [&] {  // adjacent in the input, ignoring size-1 dims between
          for (int64_t d = kept[i - 1] + 1; d < kept[i]; ++d)
            if (is[d] != 1) return false;
          return true;
        }()) {
      group_of[kept[i]] = group_of[kept[i - 1]];
      continue;
    }
    group_of[kept[i]] = static_cast<int>(mperm.size());
    mperm.push_back(kept[i]);
  }
  // mperm holds each group's first input dim in output order; rank the groups by input position.
  std::vector<int64_t> firsts = mperm;
  std::sort(firsts.begin(), firsts.end());
  Shape gsize(mperm.size(), 1);
  for (size_t d = 0; d < is.size(); ++d)
    if (is[d] != 1) gsize[group_of[d]] *= is[d];
  std::vector<int64_t> rankpos(mperm.size());  // group (output order) -> position in input order
  for (size_t g = 0; g < mperm.size(); ++g)
    rankpos[g] = std::lower_bound(firsts.begin(), firsts.end(), mperm[g]) - firsts.begin();
  merged_in.assign(mperm.size(), 1);
  for (size_t g = 0; g < mperm.size(); ++g) merged_in[rankpos[g]] = gsize[g];
  const T* src = x.data<T>();
  T* dst = y.data<T>();
  const size_t r = mperm.size();
  bool identity = true;
  for (size_t g = 0; g < r; ++g) identity = identity && rankpos[g] == static_cast<int64_t>(g);
  if (identity) {
    std::memcpy(dst, src, x.nbytes());
    return;
  }
  // [.., A, B] -> [.., B, A] with everything before kept in place: a batched 2-D transpose.
  bool last_two = r >= 2 && rankpos[r - 2] == static_cast<int64_t>(r - 1) && rankpos[r - 1] == static_cast<int64_t>(r - 2);
  for (size_t g = 0; g + 2 < r && last_two; ++g) last_two = rankpos[g] == static_cast<int64_t>(g);
  if (last_two) {
    const int64_t rows = merged_in[r - 2], cols = merged_in[r - 1];
    transpose_batched_2d(src, dst, x.numel() / (rows * cols), rows, cols, pool);
    return;
  }
  const std::vector<int64_t> istr = shape_strides(merged_in);
  Shape os(r);
  std::vector<int64_t> pstr(r);
  for (size_t g = 0; g < r; ++g) {
    os[g] = merged_in[rankpos[g]];
    pstr[g] = istr[rankpos[g]];
  }
  transpose_strided(src, dst, os, pstr, pool);
}

}  // namespace

Status transpose_tensor(const Tensor& x, Tensor& y, const std::vector<int64_t>& perm, const ThreadPool* pool) {
  if (x.numel() == 0) return Status::OK();
  switch (dtype_size(x.dtype())) {
    case 1: transpose_typed<uint8_t>(x, y, perm, pool); break;
    case 2: transpose_typed<uint16_t>(x, y, perm, pool); break;
    case 4: transpose_typed<uint32_t>(x, y, perm, pool); break;
    case 8: transpose_typed<uint64_t>(x, y, perm, pool); break;
    default: return unsupported(std::string("Transpose of ") + dtype_name(x.dtype()));
  }
  return Status::OK();
}

namespace {

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
    return transpose_tensor(*in[0], out[0], perm_, ctx.pool);
  }

 private:
  std::vector<int64_t> perm_attr_, perm_;
};

}  // namespace

Result<KernelPtr> create_Transpose(const KernelConfig& c) { return KernelPtr(new TransposeKernel(c.attrs.get_ints("perm"))); }

}  // namespace ez::ops
