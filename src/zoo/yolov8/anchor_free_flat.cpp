#include "zoo/yolov8/anchor_free_flat.h"

#include <limits>
#include <vector>

#include "zoo/common/candidates.h"
#include "zoo/common/diagnostics.h"
#include "zoo/common/float_view.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

Result<Candidates> decode_anchor_free_flat(const NamedTensor& output, const AnchorFreeFlatLayout& layout,
                                           const DecodeOptions& options) {
  EZ_ASSIGN_OR_RETURN(FloatView view, FloatView::of(output.tensor, output.name));
  const char* expected = layout.channels_first ? "[1, 4 + classes + extra, N]" : "[1, N, 4 + classes + extra]";
  EZ_RETURN_IF_ERROR(expect_batch_one(view.shape(), 3, output.name, expected));
  const int64_t channels = 4 + layout.num_classes + layout.num_extra;
  const int64_t c_dim = layout.channels_first ? view.shape()[1] : view.shape()[2];
  const int64_t n = layout.channels_first ? view.shape()[2] : view.shape()[1];
  if (layout.num_classes < 1 || c_dim != channels) {
    return invalid_argument("output '" + output.name + "' " + shape_to_string(view.shape()) + ": expected " +
                            expected + " with 4 + " + std::to_string(layout.num_classes) + " + " +
                            std::to_string(layout.num_extra) + " = " + std::to_string(channels) + " values each");
  }
  // Element c of prediction i, in either memory order.
  const float* data = view.data();
  const int64_t c_step = layout.channels_first ? n : 1;
  const int64_t i_step = layout.channels_first ? 1 : channels;
  auto at = [&](int64_t i, int64_t c) { return data[i * i_step + c * c_step]; };

  // Best class of every prediction, found class by class: a channels-first output is then read
  // contiguously (one prediction's scores are N floats apart, a cache line each).
  std::vector<float> best(static_cast<size_t>(n), -std::numeric_limits<float>::infinity());
  std::vector<int> best_class(static_cast<size_t>(n), 0);
  ValueRange range;
  for (int k = 0; k < layout.num_classes; ++k) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = at(i, 4 + k);
      range.add(v);
      if (v > best[i]) {  // strict: equal scores keep the lower class index
        best[i] = v;
        best_class[i] = k;
      }
    }
  }
  Candidates out;
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("class scores", range));

  for (int64_t i = 0; i < n; ++i) {
    auto make_box = [&] {
      Detection d = box_from_center(at(i, 0), at(i, 1), at(i, 2), at(i, 3));
      d.extra.resize(static_cast<size_t>(layout.num_extra));
      for (int e = 0; e < layout.num_extra; ++e) d.extra[e] = at(i, 4 + layout.num_classes + e);
      return d;
    };
    if (!options.multi_label) {  // sigmoid is monotonic: the best logit is the best probability
      add_best_class(out, apply_sigmoid ? sigmoid(best[i]) : best[i], best_class[i], options, make_box);
      continue;
    }
    auto score_of = [&](int k) {
      const float v = at(i, 4 + k);
      return apply_sigmoid ? sigmoid(v) : v;
    };
    add_prediction(out, layout.num_classes, options, score_of, make_box);
  }
  return out;
}

}  // namespace ez::zoo
