#include "zoo/common/objectness_rows.h"

#include <cmath>

#include "zoo/common/candidates.h"
#include "zoo/common/diagnostics.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

Result<Candidates> decode_objectness_rows(const FloatView& rows, const std::string& name,
                                          const std::vector<GridCell>* grid, const DecodeOptions& options) {
  EZ_RETURN_IF_ERROR(expect_batch_one(rows.shape(), 3, name, "[1, rows, 5 + classes]"));
  const int64_t n = rows.shape()[1];
  const int64_t cols = rows.shape()[2];
  if (cols < 6) {
    return invalid_argument("output '" + name + "' has " + std::to_string(cols) +
                            " values a row; expected cx, cy, w, h, objectness and at least one class score");
  }
  if (grid && static_cast<int64_t>(grid->size()) != n) {
    return invalid_argument("output '" + name + "' has " + std::to_string(n) + " rows but the input size gives " +
                            std::to_string(grid->size()) + " grid cells (strides 8/16/32); is the input size right?");
  }
  const int num_classes = static_cast<int>(cols - 5);
  const float* data = rows.data();

  // Objectness and class scores must be probabilities; an export without its sigmoid gives logits.
  ValueRange range;
  for (int64_t i = 0; i < n; ++i) range.add(data + i * cols + 4, cols - 4);
  Candidates out;
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("objectness and class scores", range));

  for (int64_t i = 0; i < n; ++i) {
    const float* row = data + i * cols;
    const float obj = apply_sigmoid ? sigmoid(row[4]) : row[4];
    // Class scores are at most 1, so obj bounds the final score: most rows stop here.
    if (obj < options.conf_threshold) {
      skip_prediction(out, obj);
      continue;
    }
    auto score_of = [&](int k) { return obj * (apply_sigmoid ? sigmoid(row[5 + k]) : row[5 + k]); };
    auto make_box = [&] {
      if (!grid) return box_from_center(row[0], row[1], row[2], row[3]);
      const GridCell& g = (*grid)[static_cast<size_t>(i)];
      return box_from_center((row[0] + g.x) * g.stride, (row[1] + g.y) * g.stride, std::exp(row[2]) * g.stride,
                             std::exp(row[3]) * g.stride);
    };
    add_prediction(out, num_classes, options, score_of, make_box);
  }
  return out;
}

}  // namespace ez::zoo
