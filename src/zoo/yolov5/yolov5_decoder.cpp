#include "zoo/yolov5/yolov5_decoder.h"

#include "zoo/common/candidates.h"
#include "zoo/common/diagnostics.h"
#include "zoo/common/float_view.h"
#include "zoo/common/objectness_rows.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

Result<Candidates> decode_yolov5_rows(const NamedTensor& output, const DecodeOptions& options) {
  EZ_ASSIGN_OR_RETURN(FloatView rows, FloatView::of(output.tensor, output.name));
  return decode_objectness_rows(rows, output.name, nullptr, options);
}

namespace {

struct HeadGeometry {
  int64_t height = 0, width = 0;
  int fields = 0;  // 5 + classes
};

}  // namespace

Result<Candidates> decode_yolov5_split(const std::vector<AnchorHeadOutput>& heads, const std::vector<float>& anchors,
                                       const DecodeOptions& options) {
  if (heads.empty()) return invalid_argument("anchor-based split head: no outputs given");
  if (anchors.empty() || anchors.size() % (2 * heads.size()) != 0) {
    return invalid_argument(std::to_string(anchors.size()) + " anchor numbers do not divide into " +
                            std::to_string(heads.size()) + " scales of (w, h) pairs");
  }
  const int anchors_per_scale = static_cast<int>(anchors.size() / (2 * heads.size()));
  std::vector<int> strides;
  for (const AnchorHeadOutput& h : heads) strides.push_back(h.stride);

  Candidates out;
  out.warnings = check_anchor_units(anchors, strides);
  std::vector<FloatView> views;
  std::vector<HeadGeometry> geometry;
  ValueRange range;
  for (const AnchorHeadOutput& h : heads) {
    const Shape& s = h.output->tensor.shape();
    EZ_RETURN_IF_ERROR(expect_batch_one(s, 4, h.output->name, "[1, anchors x (5 + classes), H, W]"));
    if (s[1] % anchors_per_scale != 0 || s[1] / anchors_per_scale < 6) {
      return invalid_argument("output '" + h.output->name + "' has " + std::to_string(s[1]) + " channels; with " +
                              std::to_string(anchors_per_scale) +
                              " anchors a scale expected a multiple of anchors x (5 + classes)");
    }
    HeadGeometry g{s[2], s[3], static_cast<int>(s[1] / anchors_per_scale)};
    if (!geometry.empty() && g.fields != geometry.front().fields) {
      return invalid_argument("outputs '" + heads.front().output->name + "' and '" + h.output->name +
                              "' disagree on the number of classes");
    }
    EZ_ASSIGN_OR_RETURN(FloatView v, FloatView::of(h.output->tensor, h.output->name));
    range.add(v.data(), v.size());
    views.push_back(std::move(v));
    geometry.push_back(g);
  }
  // The NPU export keeps the Sigmoid on every field; without it all fields are raw logits.
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("split-head values", range));
  auto act = [apply_sigmoid](float v) { return apply_sigmoid ? sigmoid(v) : v; };

  const int num_classes = geometry.front().fields - 5;
  for (size_t scale = 0; scale < heads.size(); ++scale) {
    const HeadGeometry& g = geometry[scale];
    const float* data = views[scale].data();
    const int64_t plane = g.height * g.width;
    const float stride = static_cast<float>(heads[scale].stride);
    for (int a = 0; a < anchors_per_scale; ++a) {
      const float anchor_w = anchors[(scale * anchors_per_scale + a) * 2];
      const float anchor_h = anchors[(scale * anchors_per_scale + a) * 2 + 1];
      const float* field = data + static_cast<int64_t>(a) * g.fields * plane;  // field f at field[f * plane + cell]
      for (int64_t y = 0; y < g.height; ++y) {
        for (int64_t x = 0; x < g.width; ++x) {
          const int64_t cell = y * g.width + x;
          const float obj = act(field[4 * plane + cell]);
          if (obj < options.conf_threshold) {  // class scores <= 1: obj bounds the score
            skip_prediction(out, obj);
            continue;
          }
          auto score_of = [&](int k) { return obj * act(field[(5 + k) * plane + cell]); };
          auto make_box = [&] {
            const float cx = (act(field[cell]) * 2.0f - 0.5f + static_cast<float>(x)) * stride;
            const float cy = (act(field[plane + cell]) * 2.0f - 0.5f + static_cast<float>(y)) * stride;
            const float w2 = act(field[2 * plane + cell]) * 2.0f;
            const float h2 = act(field[3 * plane + cell]) * 2.0f;
            return box_from_center(cx, cy, w2 * w2 * anchor_w, h2 * h2 * anchor_h);
          };
          add_prediction(out, num_classes, options, score_of, make_box);
        }
      }
    }
  }
  return out;
}

}  // namespace ez::zoo
