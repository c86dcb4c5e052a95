// Where(condition, X, Y): three-way broadcast.
#include <cstring>

#include "ops/elementwise/broadcast.h"
#include "ops/op_util.h"

namespace ez::ops {
namespace {

class WhereKernel final : public Kernel {
 public:
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 3, 3, "Where"));
    if (in[0].desc.dtype != DType::kBool) return invalid_model("Where: condition must be bool");
    if (in[1].desc.dtype != in[2].desc.dtype) return invalid_model("Where: X and Y dtypes differ");
    EZ_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(in[0].desc.shape, in[1].desc.shape));
    EZ_ASSIGN_OR_RETURN(s, broadcast_shapes(s, in[2].desc.shape));
    (*out)[0] = {in[1].desc.dtype, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    Tensor& y = out[0];
    const Shape& os = y.shape();
    const auto sc = broadcast_strides(in[0]->shape(), os), sx = broadcast_strides(in[1]->shape(), os),
               sy = broadcast_strides(in[2]->shape(), os);
    const size_t es = dtype_size(y.dtype());
    const bool* c = in[0]->data<bool>();
    const char* px = static_cast<const char*>(in[1]->raw());
    const char* py = static_cast<const char*>(in[2]->raw());
    char* po = static_cast<char*>(y.raw());
    std::vector<int64_t> idx(os.size(), 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t oc = 0, ox = 0, oy = 0;
      for (size_t d = 0; d < os.size(); ++d) {
        oc += idx[d] * sc[d];
        ox += idx[d] * sx[d];
        oy += idx[d] * sy[d];
      }
      std::memcpy(po + i * es, c[oc] ? px + ox * es : py + oy * es, es);
      for (int d = static_cast<int>(os.size()) - 1; d >= 0 && ++idx[d] == os[d]; --d) idx[d] = 0;
    }
    return Status::OK();
  }
};

}  // namespace

Result<KernelPtr> create_Where(const KernelConfig&) { return KernelPtr(new WhereKernel()); }

}  // namespace ez::ops
