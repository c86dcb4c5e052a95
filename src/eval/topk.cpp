#include "eval/topk.h"

#include <cmath>
#include <string>

namespace ez::eval {

Result<size_t> class_rank(const float* scores, size_t n, int64_t label) {
  if (label < 0 || static_cast<uint64_t>(label) >= n) {
    return invalid_argument("label " + std::to_string(label) + " is outside the " + std::to_string(n) + " classes");
  }
  const size_t l = static_cast<size_t>(label);
  const float s = scores[l];
  size_t rank = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == l) continue;
    const float x = scores[i];
    if (std::isnan(s) ? (!std::isnan(x) || i < l) : (x > s || (x == s && i < l))) ++rank;
  }
  return rank;
}

Result<bool> in_top_k(const float* scores, size_t n, int64_t label, size_t k) {
  EZ_ASSIGN_OR_RETURN(size_t rank, class_rank(scores, n, label));
  return rank < k;
}

Status TopKAccuracy::add(const float* scores, size_t n, int64_t label) {
  EZ_ASSIGN_OR_RETURN(size_t rank, class_rank(scores, n, label));
  ++count_;
  top1_ += rank < 1;
  top5_ += rank < 5;
  return Status::OK();
}

}  // namespace ez::eval
