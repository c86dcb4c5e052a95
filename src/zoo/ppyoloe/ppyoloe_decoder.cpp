#include "zoo/ppyoloe/ppyoloe_decoder.h"

#include "zoo/common/candidates.h"
#include "zoo/common/diagnostics.h"
#include "zoo/common/float_view.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

Result<Candidates> decode_ppyoloe_boxes_scores(const NamedTensor& boxes, const NamedTensor& scores,
                                               const DecodeOptions& options) {
  EZ_ASSIGN_OR_RETURN(FloatView box_view, FloatView::of(boxes.tensor, boxes.name));
  EZ_ASSIGN_OR_RETURN(FloatView score_view, FloatView::of(scores.tensor, scores.name));
  EZ_RETURN_IF_ERROR(expect_batch_one(box_view.shape(), 3, boxes.name, "[1, N, 4]"));
  EZ_RETURN_IF_ERROR(expect_batch_one(score_view.shape(), 3, scores.name, "[1, classes, N]"));
  const int64_t n = box_view.shape()[1];
  if (box_view.shape()[2] != 4 || score_view.shape()[2] != n) {
    return invalid_argument("outputs '" + boxes.name + "' " + shape_to_string(box_view.shape()) + " and '" +
                            scores.name + "' " + shape_to_string(score_view.shape()) +
                            ": expected [1, N, 4] boxes and [1, classes, N] scores");
  }
  const int num_classes = static_cast<int>(score_view.shape()[1]);
  const float* box = box_view.data();
  const float* score = score_view.data();
  ValueRange range;
  range.add(score, score_view.size());
  Candidates out;
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("class scores", range));

  for (int64_t i = 0; i < n; ++i) {
    auto score_of = [&](int k) {
      const float s = score[k * n + i];
      return apply_sigmoid ? sigmoid(s) : s;
    };
    auto make_box = [&] {
      Detection d;
      d.x1 = box[i * 4];
      d.y1 = box[i * 4 + 1];
      d.x2 = box[i * 4 + 2];
      d.y2 = box[i * 4 + 3];
      return d;
    };
    add_prediction(out, num_classes, options, score_of, make_box);
  }
  return out;
}

}  // namespace ez::zoo
