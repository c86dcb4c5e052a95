#include "zoo/yolov8/dfl_split_head.h"

#include <cmath>

#include "zoo/common/candidates.h"
#include "zoo/common/diagnostics.h"
#include "zoo/common/float_view.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

float dfl_expectation(const float* logits, int bins, int64_t step) {
  float max_logit = logits[0];
  for (int j = 1; j < bins; ++j) max_logit = std::max(max_logit, logits[j * step]);
  float sum = 0, weighted = 0;
  for (int j = 0; j < bins; ++j) {
    const float e = std::exp(logits[j * step] - max_logit);  // shifted: no overflow
    sum += e;
    weighted += e * static_cast<float>(j);
  }
  return weighted / sum;
}

namespace {

struct ScaleViews {
  FloatView box, cls;
  std::vector<FloatView> score_sum;  // zero or one
  int64_t height, width;
  int bins, classes;
};

Status shape_error(const NamedTensor& t, const std::string& what) {
  return invalid_argument("output '" + t.name + "' " + shape_to_string(t.tensor.shape()) + ": " + what);
}

Result<ScaleViews> view_scale(const DflScaleOutputs& s) {
  if (!s.box || !s.cls) return invalid_argument("DFL split head: a scale lacks its box or class output");
  const Shape& box = s.box->tensor.shape();
  const Shape& cls = s.cls->tensor.shape();
  EZ_RETURN_IF_ERROR(expect_batch_one(box, 4, s.box->name, "[1, 4 x bins, H, W]"));
  EZ_RETURN_IF_ERROR(expect_batch_one(cls, 4, s.cls->name, "[1, classes, H, W]"));
  if (box[1] % 4 != 0 || box[1] < 8) return shape_error(*s.box, "box channels must be 4 sides x bins");
  if (cls[2] != box[2] || cls[3] != box[3]) return shape_error(*s.cls, "spatial size differs from '" + s.box->name + "'");
  EZ_ASSIGN_OR_RETURN(FloatView box_view, FloatView::of(s.box->tensor, s.box->name));
  EZ_ASSIGN_OR_RETURN(FloatView cls_view, FloatView::of(s.cls->tensor, s.cls->name));
  ScaleViews v{std::move(box_view), std::move(cls_view), {}, box[2], box[3], static_cast<int>(box[1] / 4),
               static_cast<int>(cls[1])};
  if (s.score_sum) {
    const Shape& sum = s.score_sum->tensor.shape();
    EZ_RETURN_IF_ERROR(expect_batch_one(sum, 4, s.score_sum->name, "[1, 1, H, W]"));
    if (sum[1] != 1 || sum[2] != box[2] || sum[3] != box[3]) return shape_error(*s.score_sum, "expected [1, 1, H, W]");
    EZ_ASSIGN_OR_RETURN(FloatView sum_view, FloatView::of(s.score_sum->tensor, s.score_sum->name));
    v.score_sum.push_back(std::move(sum_view));
  }
  return v;
}

}  // namespace

Result<Candidates> decode_dfl_split(const std::vector<DflScaleOutputs>& scales, const DecodeOptions& options) {
  if (scales.empty()) return invalid_argument("DFL split head: no outputs given");
  std::vector<ScaleViews> views;
  ValueRange range;
  for (const DflScaleOutputs& s : scales) {
    EZ_ASSIGN_OR_RETURN(ScaleViews v, view_scale(s));
    if (!views.empty() && v.classes != views.front().classes) {
      return invalid_argument("outputs '" + scales.front().cls->name + "' and '" + s.cls->name +
                              "' disagree on the number of classes");
    }
    range.add(v.cls.data(), v.cls.size());
    views.push_back(std::move(v));
  }
  Candidates out;
  const bool apply_sigmoid = looks_like_logits(range);
  if (apply_sigmoid) out.warnings.push_back(logits_warning("class scores", range));

  for (size_t si = 0; si < scales.size(); ++si) {
    const ScaleViews& v = views[si];
    const int64_t plane = v.height * v.width;
    const float stride = static_cast<float>(scales[si].stride);
    // A score_sum built from logits bounds nothing; only use it on probabilities.
    const float* score_sum = (!apply_sigmoid && !v.score_sum.empty()) ? v.score_sum.front().data() : nullptr;
    for (int64_t y = 0; y < v.height; ++y) {
      for (int64_t x = 0; x < v.width; ++x) {
        const int64_t cell = y * v.width + x;
        if (score_sum && score_sum[cell] < options.conf_threshold) {
          skip_prediction(out, score_sum[cell]);
          continue;
        }
        auto score_of = [&](int k) {
          const float s = v.cls.data()[k * plane + cell];
          return apply_sigmoid ? sigmoid(s) : s;
        };
        auto make_box = [&] {
          const float* box = v.box.data() + cell;
          const int64_t side = static_cast<int64_t>(v.bins) * plane;  // channel offset between sides
          const float ax = static_cast<float>(x) + 0.5f, ay = static_cast<float>(y) + 0.5f;
          Detection d;
          d.x1 = (ax - dfl_expectation(box, v.bins, plane)) * stride;
          d.y1 = (ay - dfl_expectation(box + side, v.bins, plane)) * stride;
          d.x2 = (ax + dfl_expectation(box + 2 * side, v.bins, plane)) * stride;
          d.y2 = (ay + dfl_expectation(box + 3 * side, v.bins, plane)) * stride;
          return d;
        };
        add_prediction(out, v.classes, options, score_of, make_box);
      }
    }
  }
  return out;
}

}  // namespace ez::zoo
