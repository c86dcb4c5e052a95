#include "zoo/yolov8/anchor_free_flat.h"

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

  ValueRange range;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 4; c < 4 + layout.num_classes; ++c) range.add(at(i, c));
  }
  Candidates out;
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("class scores", range));

  for (int64_t i = 0; i < n; ++i) {
    auto score_of = [&](int k) {
      const float v = at(i, 4 + k);
      return apply_sigmoid ? sigmoid(v) : v;
    };
    auto make_box = [&] {
      Detection d = box_from_center(at(i, 0), at(i, 1), at(i, 2), at(i, 3));
      d.extra.resize(static_cast<size_t>(layout.num_extra));
      for (int e = 0; e < layout.num_extra; ++e) d.extra[e] = at(i, 4 + layout.num_classes + e);
      return d;
    };
    add_prediction(out, layout.num_classes, options, score_of, make_box);
  }
  return out;
}

}  // namespace ez::zoo
