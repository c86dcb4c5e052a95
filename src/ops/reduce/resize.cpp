// Resize (opsets 10, 11, 13+) and Upsample (7, 9): nearest (all four rounding modes), linear and
// cubic on any number of dims, every coordinate_transformation_mode, exclude_outside and
// tf_crop_and_resize extrapolation. Follows the ONNX reference implementation: taps sit at
// f = ceil(x)-1 .. with ratio r = x - f in (0, 1], out-of-range taps read the edge value.
#include <cmath>
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class Mode { kNearest, kLinear, kCubic };

struct Taps {  // one output coordinate along one dim
  std::vector<int64_t> idx;
  std::vector<float> w;
  bool outside = false;  // tf_crop_and_resize: outside the input -> extrapolation value
};

class ResizeKernel final : public Kernel {
 public:
  ResizeKernel(const KernelConfig& c, bool upsample) : upsample_(upsample), opset_(c.opset) {
    const std::string m = c.attrs.get_string("mode", "nearest");
    mode_ = m == "linear" || m == "bilinear" ? Mode::kLinear : m == "cubic" ? Mode::kCubic : Mode::kNearest;
    mode_ok_ = m == "nearest" || m == "linear" || m == "cubic" || (upsample && m == "bilinear");
    mode_name_ = m;
    const bool legacy = upsample || c.opset < 11;
    coord_ = legacy ? "asymmetric" : c.attrs.get_string("coordinate_transformation_mode", "half_pixel");
    nearest_ = legacy ? "floor" : c.attrs.get_string("nearest_mode", "round_prefer_floor");
    cubic_a_ = c.attrs.get_float("cubic_coeff_a", -0.75f);
    exclude_outside_ = c.attrs.get_int("exclude_outside", 0) != 0;
    extrapolation_ = c.attrs.get_float("extrapolation_value", 0.0f);
    scales_attr_ = c.attrs.get_floats("scales");
    if (c.attrs.get_int("antialias", 0) != 0 || c.attrs.has("axes") || c.attrs.has("keep_aspect_ratio_policy")) opset18_ = true;
  }

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = upsample_ ? "Upsample" : "Resize";
    if (!mode_ok_) return unsupported(std::string(op) + " mode '" + mode_name_ + "'");
    if (opset18_) return unsupported("Resize antialias/axes/keep_aspect_ratio_policy (opset 18)");
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 4, op));
    const Shape& s = in[0].desc.shape;
    const size_t rank = s.size();
    std::vector<float> scales = scales_attr_;
    std::vector<int64_t> sizes;
    roi_.clear();
    // Input positions: Upsample-9 and Resize-10: (X, scales); Resize-11+: (X, roi, scales, sizes).
    const bool v11 = !upsample_ && opset_ >= 11;
    const int scales_at = v11 ? 2 : 1;
    if (v11 && in.size() > 1 && in[1].present() && shape_numel(in[1].desc.shape) > 0) {
      EZ_ASSIGN_OR_RETURN(roi_, read_float_list(in[1], op, "roi"));
    }
    if (static_cast<int>(in.size()) > scales_at && in[scales_at].present() && shape_numel(in[scales_at].desc.shape) > 0) {
      EZ_ASSIGN_OR_RETURN(scales, read_float_list(in[scales_at], op, "scales"));
    }
    if (v11 && in.size() > 3 && in[3].present() && shape_numel(in[3].desc.shape) > 0) {
      EZ_ASSIGN_OR_RETURN(sizes, read_int_list(in[3], op, "sizes"));
    }
    Shape os(rank);
    scale_.assign(rank, 1.0f);
    if (!sizes.empty()) {
      if (sizes.size() != rank) return invalid_model(std::string(op) + ": sizes has " + std::to_string(sizes.size()) + " values for rank " + std::to_string(rank));
      for (size_t d = 0; d < rank; ++d) {
        os[d] = sizes[d];
        scale_[d] = s[d] ? static_cast<float>(sizes[d]) / static_cast<float>(s[d]) : 1.0f;
      }
    } else {
      if (scales.size() != rank) return invalid_model(std::string(op) + ": needs " + std::to_string(rank) + " scales or sizes");
      for (size_t d = 0; d < rank; ++d) {
        if (scales[d] <= 0) return invalid_model(std::string(op) + ": scales must be positive");
        os[d] = static_cast<int64_t>(std::floor(s[d] * scales[d]));
        scale_[d] = scales[d];
      }
    }
    if (coord_ == "tf_crop_and_resize" && roi_.size() != 2 * rank) return invalid_model("Resize: tf_crop_and_resize needs roi of 2*rank values");
    static const char* kModes[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nearest", "tf_crop_and_resize"};
    if (std::none_of(std::begin(kModes), std::end(kModes), [&](const char* m) { return coord_ == m; }))
      return unsupported("Resize coordinate_transformation_mode '" + coord_ + "'");
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const Tensor& x = *in[0];
    Tensor& y = out[0];
    const Shape& is = x.shape();
    const Shape& os = y.shape();
    const size_t rank = is.size();
    // The taps depend only on the shapes and infer's scales and roi: built once for each, not
    // every run -- for a 52x52x64 upsampling they cost as much as the copy.
    if (is != taps_in_ || os != taps_out_ || scale_ != taps_scale_ || roi_ != taps_roi_) {
      taps_.assign(rank, {});
      for (size_t d = 0; d < rank; ++d) {
        taps_[d].resize(os[d]);
        for (int64_t o = 0; o < os[d]; ++o) taps_[d][o] = make_taps(d, o, is[d], os[d]);
      }
      taps_in_ = is;
      taps_out_ = os;
      taps_scale_ = scale_;
      taps_roi_ = roi_;
    }
    Status s;
    EZ_DISPATCH_REAL(x.dtype(), T, s = unsupported("Resize dtype"), interpolate<T>(x, y, taps_, ctx));
    return s;
  }

 private:
  double source_coord(size_t d, int64_t o, int64_t in_len, int64_t out_len) const {
    const double sc = scale_[d], xo = static_cast<double>(o);
    const double out_w = sc * in_len;  // the reference uses scale * input length, a real number
    if (coord_ == "half_pixel") return (xo + 0.5) / sc - 0.5;
    if (coord_ == "pytorch_half_pixel") return out_len > 1 ? (xo + 0.5) / sc - 0.5 : -0.5;
    if (coord_ == "align_corners") return out_w == 1 ? 0.0 : xo * (in_len - 1) / (out_w - 1);
    if (coord_ == "asymmetric") return xo / sc;
    if (coord_ == "tf_half_pixel_for_nearest") return (xo + 0.5) / sc;
    // tf_crop_and_resize
    const double start = roi_[d], end = roi_[d + scale_.size()];
    return out_len > 1 ? start * (in_len - 1) + xo * (end - start) * (in_len - 1) / (out_len - 1)
                       : 0.5 * (start + end) * (in_len - 1);
  }

  Taps make_taps(size_t d, int64_t o, int64_t in_len, int64_t out_len) const {
    Taps t;
    const double xs = source_coord(d, o, in_len, out_len);
    if (coord_ == "tf_crop_and_resize" && (xs < 0 || xs > in_len - 1)) {
      t.outside = true;
      return t;
    }
    const bool integer = xs == std::floor(xs);
    const int64_t f = integer ? static_cast<int64_t>(xs) - 1 : static_cast<int64_t>(std::floor(xs));
    const double r = xs - f;  // in (0, 1]
    auto clamp = [in_len](int64_t i) { return std::max<int64_t>(0, std::min(in_len - 1, i)); };
    if (mode_ == Mode::kNearest) {
      bool second;
      if (integer) second = true;
      else if (nearest_ == "round_prefer_ceil") second = r >= 0.5;
      else if (nearest_ == "floor") second = false;
      else if (nearest_ == "ceil") second = true;
      else second = r > 0.5;  // round_prefer_floor
      t.idx = {clamp(second ? f + 1 : f)};
      t.w = {1.0f};
      return t;
    }
    std::vector<int64_t> raw;
    std::vector<double> w;
    if (mode_ == Mode::kLinear) {
      raw = {f, f + 1};
      w = {1.0 - r, r};
    } else {
      const double A = cubic_a_;
      auto c = [A](double v) {  // Keys cubic kernel for |v| in [0, 2]
        v = std::fabs(v);
        if (v <= 1) return ((A + 2) * v - (A + 3)) * v * v + 1;
        if (v < 2) return ((A * v - 5 * A) * v + 8 * A) * v - 4 * A;
        return 0.0;
      };
      raw = {f - 1, f, f + 1, f + 2};
      w = {c(r + 1), c(r), c(1 - r), c(2 - r)};
    }
    if (exclude_outside_) {
      double sum = 0;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] < 0 || raw[i] >= in_len) w[i] = 0;
        sum += w[i];
      }
      if (sum != 0)
        for (double& v : w) v /= sum;
    }
    for (size_t i = 0; i < raw.size(); ++i) {
      if (w[i] == 0) continue;
      t.idx.push_back(clamp(raw[i]));
      t.w.push_back(static_cast<float>(w[i]));
    }
    return t;
  }

  template <typename T>
  void interpolate(const Tensor& x, Tensor& y, const std::vector<std::vector<Taps>>& taps, const RunContext& ctx) {
    const Shape& os = y.shape();
    const int rank = static_cast<int>(os.size());
    const std::vector<int64_t> st = shape_strides(x.shape());
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const int64_t inner = rank ? os[rank - 1] : 1;
    const int64_t rows = inner ? y.numel() / inner : 0;
    const bool nearest = mode_ == Mode::kNearest && coord_ != "tf_crop_and_resize";
    // Channels-last upsampling leaves the last dim alone: whole rows are then copied.
    bool last_identity = nearest && rank > 0 && x.shape()[rank - 1] == inner;
    for (int64_t i = 0; last_identity && i < inner; ++i) last_identity = taps[rank - 1][i].idx[0] == i;
    if (last_identity && rank >= 2) return copy_nearest_rows(src, dst, os, st, taps, ctx);
    auto body = [&](int64_t r0, int64_t r1) {
      std::vector<int64_t> pos(rank);
      std::vector<size_t> k(rank);
      for (int64_t r = r0; r < r1; ++r) {
        int64_t rem = r;
        for (int d = rank - 2; d >= 0; --d) {
          pos[d] = rem % os[d];
          rem /= os[d];
        }
        T* out = dst + r * inner;
        if (nearest) {  // one source element per output: a gather along the last dim
          int64_t base = 0;
          for (int d = 0; d < rank - 1; ++d) base += taps[d][pos[d]].idx[0] * st[d];
          if (last_identity) {
            std::memcpy(out, src + base, inner * sizeof(T));
            continue;
          }
          const std::vector<Taps>& last = taps[rank - 1];
          for (int64_t i = 0; i < inner; ++i) out[i] = src[base + last[i].idx[0] * st[rank - 1]];
          continue;
        }
        for (int64_t i = 0; i < inner; ++i) {
          pos[rank - 1] = i;
          bool outside = false;
          for (int d = 0; d < rank; ++d) outside = outside || taps[d][pos[d]].outside;
          if (outside) {
            out[i] = static_cast<T>(extrapolation_);
            continue;
          }
          // Sum over the cartesian product of every dim's taps.
          double acc = 0;
          std::fill(k.begin(), k.end(), 0);
          while (true) {
            double w = 1;
            int64_t off = 0;
            for (int d = 0; d < rank; ++d) {
              const Taps& t = taps[d][pos[d]];
              w *= t.w[k[d]];
              off += t.idx[k[d]] * st[d];
            }
            acc += w * static_cast<double>(src[off]);
            int d = rank - 1;
            for (; d >= 0; --d) {
              if (++k[d] < taps[d][pos[d]].idx.size()) break;
              k[d] = 0;
            }
            if (d < 0) break;
          }
          out[i] = std::is_integral_v<T> ? static_cast<T>(std::nearbyint(acc)) : static_cast<T>(acc);
        }
      }
    };
    if (ctx.pool) ctx.pool->parallel_for(rows, 8, body);
    else body(0, rows);
  }

  // Nearest resize that leaves the last dim alone (channels-last upsampling): one copy of `inner`
  // values per output position of the second-to-last dim, its source offset looked up once per
  // column (per-position index arithmetic cost more than the copy of 64 channels).
  template <typename T>
  static void copy_nearest_rows(const T* src, T* dst, const Shape& os, const std::vector<int64_t>& st,
                                const std::vector<std::vector<Taps>>& taps, const RunContext& ctx) {
    const int rank = static_cast<int>(os.size());
    const int64_t inner = os[rank - 1], cols = os[rank - 2];
    const int64_t outer = cols && inner ? shape_numel(os) / (inner * cols) : 0;
    std::vector<int64_t> col_offset(static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) col_offset[j] = taps[rank - 2][j].idx[0] * st[rank - 2];
    auto body = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t rem = r, base = 0;
        for (int d = rank - 3; d >= 0; --d) {
          base += taps[d][rem % os[d]].idx[0] * st[d];
          rem /= os[d];
        }
        T* out = dst + r * cols * inner;
        for (int64_t j = 0; j < cols; ++j) std::memcpy(out + j * inner, src + base + col_offset[j], inner * sizeof(T));
      }
    };
    if (ctx.pool) ctx.pool->parallel_for(outer, 1, body);
    else body(0, outer);
  }

  bool upsample_;
  int opset_;
  Mode mode_;
  bool mode_ok_ = true, opset18_ = false;
  std::string mode_name_, coord_, nearest_;
  float cubic_a_, extrapolation_;
  bool exclude_outside_;
  std::vector<float> scales_attr_, roi_, scale_;
  Shape taps_in_, taps_out_;  // what taps_ was built for
  std::vector<float> taps_scale_, taps_roi_;
  std::vector<std::vector<Taps>> taps_;
};

}  // namespace

Result<KernelPtr> create_Resize(const KernelConfig& c) { return KernelPtr(new ResizeKernel(c, false)); }
Result<KernelPtr> create_Upsample(const KernelConfig& c) { return KernelPtr(new ResizeKernel(c, true)); }

}  // namespace ez::ops
