// Pad: modes constant / reflect / edge; pads as attribute (opset < 11) or input, optional
// constant_value and (opset 18) axes inputs. Negative pads crop.
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

enum class PadMode { kConstant, kReflect, kEdge };

class PadKernel final : public Kernel {
 public:
  PadKernel(PadMode mode, bool from_attrs, std::vector<int64_t> pads, float value)
      : mode_(mode), from_attrs_(from_attrs), pads_attr_(std::move(pads)), value_attr_(value) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, from_attrs_ ? 1 : 2, from_attrs_ ? 1 : 4, "Pad"));
    const Shape& s = in[0].desc.shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    std::vector<int64_t> pads = pads_attr_;
    if (!from_attrs_) {
      EZ_ASSIGN_OR_RETURN(pads, read_int_list(in[1], "Pad", "pads"));
    }
    std::vector<int64_t> axes;
    if (!from_attrs_ && in.size() > 3 && in[3].present()) {
      EZ_ASSIGN_OR_RETURN(axes, read_int_list(in[3], "Pad", "axes"));
    } else {
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    }
    if (pads.size() != 2 * axes.size())
      return invalid_model("Pad: pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * axes.size()));
    before_.assign(rank, 0);
    after_.assign(rank, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      EZ_ASSIGN_OR_RETURN(int64_t a, normalize_axis(axes[i], rank, "Pad"));
      before_[a] = pads[i];
      after_[a] = pads[i + axes.size()];
    }
    Shape os(rank);
    for (int64_t d = 0; d < rank; ++d) {
      os[d] = s[d] + before_[d] + after_[d];
      if (os[d] < 0) return invalid_model("Pad: negative output dimension");
      if (mode_ != PadMode::kConstant && s[d] == 0 && os[d] > 0) return invalid_model("Pad: cannot reflect or edge-pad an empty axis");
      if (mode_ == PadMode::kReflect && (before_[d] >= s[d] || after_[d] >= s[d]) && (before_[d] > 0 || after_[d] > 0) && s[d] < 2)
        return invalid_model("Pad: reflect needs at least 2 elements along a padded axis");
    }
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const Tensor& x = *in[0];
    Tensor& y = out[0];
    const Shape& s = x.shape();
    const Shape& os = y.shape();
    const int rank = static_cast<int>(os.size());
    const size_t es = dtype_size(x.dtype());
    // The fill value in the tensor's dtype.
    std::vector<char> fill(es, 0);
    if (mode_ == PadMode::kConstant) {
      Tensor v = Tensor::zeros(x.dtype(), {});
      const double cv = (!from_attrs_ && in.size() > 2 && in[2] && in[2]->numel()) ? in[2]->at_double(0) : value_attr_;
      Status st;
      EZ_DISPATCH_REAL(x.dtype(), T, st = unsupported("Pad constant value dtype"), v.data<T>()[0] = static_cast<T>(cv));
      if (x.dtype() == DType::kBool) v.data<bool>()[0] = cv != 0;
      std::memcpy(fill.data(), v.raw(), es);
    }
    const std::vector<int64_t> xs = shape_strides(s);
    const char* src = static_cast<const char*>(x.raw());
    char* dst = static_cast<char*>(y.raw());
    std::vector<int64_t> pos(rank, 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t off = 0;
      bool inside = true;
      for (int d = 0; d < rank && inside; ++d) {
        int64_t c = pos[d] - before_[d];
        const int64_t n = s[d];
        if (c < 0 || c >= n) {
          if (mode_ == PadMode::kConstant) {
            inside = false;
            break;
          }
          if (mode_ == PadMode::kEdge) {
            c = c < 0 ? 0 : n - 1;
          } else {  // reflect without repeating the edge: period 2(n-1)
            const int64_t period = 2 * (n - 1);
            c = ((c % period) + period) % period;
            if (c >= n) c = period - c;
          }
        }
        off += c * xs[d];
      }
      std::memcpy(dst + i * es, inside ? src + off * es : fill.data(), es);
      for (int d = rank - 1; d >= 0 && ++pos[d] == os[d]; --d) pos[d] = 0;
    }
    return Status::OK();
  }

 private:
  PadMode mode_;
  bool from_attrs_;
  std::vector<int64_t> pads_attr_;
  float value_attr_;
  std::vector<int64_t> before_, after_;
};

}  // namespace

Result<KernelPtr> create_Pad(const KernelConfig& c) {
  const std::string m = c.attrs.get_string("mode", "constant");
  PadMode mode;
  if (m == "constant") mode = PadMode::kConstant;
  else if (m == "reflect") mode = PadMode::kReflect;
  else if (m == "edge") mode = PadMode::kEdge;
  else return unsupported("Pad mode '" + m + "'");
  const bool attrs = c.opset < 11;
  return KernelPtr(new PadKernel(mode, attrs, c.attrs.get_ints(attrs ? "pads" : "__none__"), c.attrs.get_float("value", 0.0f)));
}

}  // namespace ez::ops
