// Expand (broadcast to a shape) and Tile (repeat along each dim): both copy by computing, for each
// output element, its source coordinate (modulo for Tile, 0 along broadcast dims for Expand).
#include <cstring>

#include "ops/op_util.h"

namespace ez::ops {
namespace {

class ExpandTileKernel final : public Kernel {
 public:
  explicit ExpandTileKernel(bool tile) : tile_(tile) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    const char* op = tile_ ? "Tile" : "Expand";
    EZ_RETURN_IF_ERROR(expect_input_count(in, 2, 2, op));
    EZ_ASSIGN_OR_RETURN(std::vector<int64_t> v, read_int_list(in[1], op, tile_ ? "repeats" : "shape"));
    const Shape& s = in[0].desc.shape;
    Shape os;
    if (tile_) {
      if (v.size() != s.size()) return invalid_model("Tile: repeats length differs from the input rank");
      for (size_t d = 0; d < s.size(); ++d) {
        if (v[d] < 0) return invalid_model("Tile: negative repeat");
        os.push_back(s[d] * v[d]);
      }
    } else {
      EZ_ASSIGN_OR_RETURN(os, broadcast_shapes(s, v));
    }
    (*out)[0] = {in[0].desc.dtype, os};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const Tensor& x = *in[0];
    Tensor& y = out[0];
    const Shape& os = y.shape();
    const int rank = static_cast<int>(os.size());
    Shape xs(rank, 1);  // input shape aligned right
    for (size_t d = 0; d < x.shape().size(); ++d) xs[rank - x.shape().size() + d] = x.shape()[d];
    const std::vector<int64_t> xstr = shape_strides(xs);
    const size_t es = dtype_size(x.dtype());
    const char* src = static_cast<const char*>(x.raw());
    char* dst = static_cast<char*>(y.raw());
    std::vector<int64_t> pos(rank, 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t off = 0;
      for (int d = 0; d < rank; ++d) off += (xs[d] == 1 ? 0 : pos[d] % xs[d]) * xstr[d];
      std::memcpy(dst + i * es, src + off * es, es);
      for (int d = rank - 1; d >= 0 && ++pos[d] == os[d]; --d) pos[d] = 0;
    }
    return Status::OK();
  }

 private:
  bool tile_;
};

}  // namespace

Result<KernelPtr> create_Expand(const KernelConfig&) { return KernelPtr(new ExpandTileKernel(false)); }
Result<KernelPtr> create_Tile(const KernelConfig&) { return KernelPtr(new ExpandTileKernel(true)); }

}  // namespace ez::ops
