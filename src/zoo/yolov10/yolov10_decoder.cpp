#include "zoo/yolov10/yolov10_decoder.h"

#include <cmath>

#include "zoo/common/candidates.h"
#include "zoo/common/diagnostics.h"
#include "zoo/common/float_view.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

Result<Candidates> decode_yolov10(const NamedTensor& output, const DecodeOptions& options) {
  EZ_ASSIGN_OR_RETURN(FloatView view, FloatView::of(output.tensor, output.name));
  EZ_RETURN_IF_ERROR(expect_batch_one(view.shape(), 3, output.name, "[1, K, 6]"));
  if (view.shape()[2] != 6) {
    return invalid_argument("output '" + output.name + "' " + shape_to_string(view.shape()) +
                            ": expected rows of x1, y1, x2, y2, score, class ([1, K, 6])");
  }
  const int64_t k = view.shape()[1];
  const float* data = view.data();
  ValueRange range;
  range.add(data + 4, k, 6);
  Candidates out;
  out.needs_nms = false;
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("scores", range));

  for (int64_t i = 0; i < k; ++i) {
    const float* row = data + i * 6;
    const float score = apply_sigmoid ? sigmoid(row[4]) : row[4];
    auto score_of = [&](int) { return score; };
    auto make_box = [&] {
      Detection d;
      d.x1 = row[0];
      d.y1 = row[1];
      d.x2 = row[2];
      d.y2 = row[3];
      return d;
    };
    const size_t before = out.boxes.size();
    add_prediction(out, 1, options, score_of, make_box);
    // The class index is a float in the output; round rather than truncate (5.9999 is class 6).
    if (out.boxes.size() > before) out.boxes.back().class_id = static_cast<int>(std::lround(row[5]));
  }
  return out;
}

}  // namespace ez::zoo
