#include "ops/elementwise/broadcast.h"

namespace ez::ops {

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  const std::vector<int64_t> own = shape_strides(in);
  const size_t offset = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) strides[d + offset] = in[d] == 1 ? 0 : own[d];
  return strides;
}

}  // namespace ez::ops
