// Top-1 / top-5 accuracy for classifiers.
// A label is in the top k when it is among the k best scores after a stable descending sort
// (numpy argsort(-scores, kind='stable')): on equal scores the lower class index ranks first.
// NaN scores rank below every number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"

namespace ez::eval {

// The rank (0 = best) of class `label` among scores[0..n).
Result<size_t> class_rank(const float* scores, size_t n, int64_t label);
Result<bool> in_top_k(const float* scores, size_t n, int64_t label, size_t k);

// Running top-1 and top-5 accuracy over a data set.
class TopKAccuracy {
 public:
  Status add(const float* scores, size_t n, int64_t label);
  Status add(const std::vector<float>& scores, int64_t label) { return add(scores.data(), scores.size(), label); }
  size_t count() const { return count_; }
  double top1() const { return count_ ? static_cast<double>(top1_) / static_cast<double>(count_) : 0.0; }
  double top5() const { return count_ ? static_cast<double>(top5_) / static_cast<double>(count_) : 0.0; }

 private:
  size_t count_ = 0, top1_ = 0, top5_ = 0;
};

}  // namespace ez::eval
