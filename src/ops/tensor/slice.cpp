// Slice: starts/ends/axes/steps as attributes (opset < 10) or inputs; negative indices count from
// the end, out-of-range values clamp, negative steps walk backwards (numpy semantics).
#include <climits>
#include <cstring>
#include <cstdint>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

// Copies n elements of `es` bytes taken every `stride` elements (stride may be negative).
// Typed loops for the usual element sizes: a memcpy per element is ten times slower.
template <typename T>
void copy_strided(const T* src, int64_t stride, T* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

void copy_row(const char* src, int64_t stride, char* dst, int64_t n, size_t es) {
  if (stride == 1) {
    std::memcpy(dst, src, n * es);
    return;
  }
  switch (es) {
    case 1: copy_strided(reinterpret_cast<const uint8_t*>(src), stride, reinterpret_cast<uint8_t*>(dst), n); return;
    case 2: copy_strided(reinterpret_cast<const uint16_t*>(src), stride, reinterpret_cast<uint16_t*>(dst), n); return;
    case 4: copy_strided(reinterpret_cast<const uint32_t*>(src), stride, reinterpret_cast<uint32_t*>(dst), n); return;
    case 8: copy_strided(reinterpret_cast<const uint64_t*>(src), stride, reinterpret_cast<uint64_t*>(dst), n); return;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * es, src + i * stride * static_cast<int64_t>(es), es);
  }
}

class SliceKernel final : public Kernel {
 public:
  explicit SliceKernel(const KernelConfig& c)
      : from_attrs_(c.opset < 10), starts_(c.attrs.get_ints("starts")), ends_(c.attrs.get_ints("ends")),
        axes_(c.attrs.get_ints("axes")) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, from_attrs_ ? 1 : 3, from_attrs_ ? 1 : 5, "Slice"));
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    if (!from_attrs_) {
      EZ_ASSIGN_OR_RETURN(starts, read_int_list(in[1], "Slice", "starts"));
      EZ_ASSIGN_OR_RETURN(ends, read_int_list(in[2], "Slice", "ends"));
      if (in.size() > 3 && in[3].present()) {
        EZ_ASSIGN_OR_RETURN(axes, read_int_list(in[3], "Slice", "axes"));
      } else {
        axes.clear();
      }
      if (in.size() > 4 && in[4].present()) {
        EZ_ASSIGN_OR_RETURN(steps, read_int_list(in[4], "Slice", "steps"));
      }
    }
    const Shape& s = in[0].desc.shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
      return invalid_model("Slice: starts, ends, axes and steps differ in length");
    start_.assign(rank, 0);
    step_.assign(rank, 1);
    Shape os = s;
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < axes.size(); ++i) {
      EZ_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axes[i], rank, "Slice"));
      if (seen[a]) return invalid_model("Slice: repeated axis");
      seen[a] = true;
      const int64_t dim = s[a], step = steps[i];
      if (step == 0) return invalid_model("Slice: step 0");
      int64_t b = starts[i], e = ends[i];
      if (b < 0) b += dim;
      if (e < 0 && e > INT64_MIN / 2) e += dim;  // INT64_MIN-like sentinels stay "before the start"
      if (step > 0) {
        b = std::max<int64_t>(0, std::min(b, dim));
        e = std::max<int64_t>(0, std::min(e, dim));
        os[a] = e > b ? (e - b + step - 1) / step : 0;
      } else {
        b = std::max<int64_t>(-1, std::min(b, dim - 1));
        e = std::max<int64_t>(-1, std::min(e, dim - 1));
        os[a] = b > e ? (b - e + (-step) - 1) / (-step) : 0;
      }
      start_[a] = b;
      step_[a] = step;
    }
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    Tensor& y = out[0];
    if (y.numel() == 0) return Status::OK();
    const Shape& os = y.shape();
    const int rank = static_cast<int>(os.size());
    const size_t es = dtype_size(x.dtype());
    const std::vector<int64_t> istr = shape_strides(x.shape());
    const char* src = static_cast<const char*>(x.raw());
    char* dst = static_cast<char*>(y.raw());
    if (rank == 0) {
      std::memcpy(dst, src, es);
      return Status::OK();
    }
    const int64_t inner = os[rank - 1];
    const int64_t inner_stride = step_[rank - 1] * istr[rank - 1];  // in elements
    const int64_t rows = y.numel() / inner;
    auto copy_rows = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t off = start_[rank - 1] * istr[rank - 1], rem = r;
        for (int d = rank - 2; d >= 0; --d) {
          off += (start_[d] + (rem % os[d]) * step_[d]) * istr[d];
          rem /= os[d];
        }
        copy_row(src + off * es, inner_stride, dst + r * inner * es, inner, es);
      }
    };
    // Rows of a few hundred bytes: split only when there is enough to share (YOLOX's Focus slices
    // the whole input four times with step 2).
    if (ctx.pool && y.nbytes() >= (1 << 16)) ctx.pool->parallel_for(rows, 64, copy_rows);
    else copy_rows(0, rows);
    return Status::OK();
  }

 private:
  bool from_attrs_;
  std::vector<int64_t> starts_, ends_, axes_;
  std::vector<int64_t> start_, step_;
};

}  // namespace

Result<KernelPtr> create_Slice(const KernelConfig& c) { return KernelPtr(new SliceKernel(c)); }

}  // namespace ez::ops
