// Turning one prediction (a box and its class scores) into candidates, shared by all decoders so
// that thresholds, multi-label and the statistics behind the diagnostics work the same everywhere.
#pragma once

#include <limits>

#include "zoo/common/detection.h"

namespace ez::zoo {

// `score_of(k)` returns the final score of class k; `make_box()` returns a Detection with only the
// corners (and extras) filled. The box is built only when some class passes the threshold.
// Single-label form for decoders that found the best class themselves (e.g. class-major scans).
template <typename BoxFn>
void add_best_class(Candidates& out, float best_score, int best_class, const DecodeOptions& options,
                    BoxFn&& make_box) {
  ++out.positions;
  if (best_score > out.max_score) out.max_score = best_score;
  if (!(best_score >= options.conf_threshold)) return;  // also rejects NaN
  ++out.passed;
  Detection box = make_box();
  box.score = best_score;
  box.class_id = best_class;
  out.boxes.push_back(std::move(box));
}

template <typename ScoreFn, typename BoxFn>
void add_prediction(Candidates& out, int num_classes, const DecodeOptions& options, ScoreFn&& score_of,
                    BoxFn&& make_box) {
  int best_class = 0;
  float best_score = -std::numeric_limits<float>::infinity();
  for (int k = 0; k < num_classes; ++k) {
    const float s = score_of(k);
    if (s > best_score) {  // strict: equal scores keep the lower class index
      best_score = s;
      best_class = k;
    }
  }
  if (!options.multi_label) {
    add_best_class(out, best_score, best_class, options, make_box);
    return;
  }
  ++out.positions;
  if (best_score > out.max_score) out.max_score = best_score;
  if (!(best_score >= options.conf_threshold)) return;
  ++out.passed;
  Detection box = make_box();
  for (int k = 0; k < num_classes; ++k) {
    const float s = score_of(k);
    if (!(s >= options.conf_threshold)) continue;
    Detection d = box;
    d.score = s;
    d.class_id = k;
    out.boxes.push_back(std::move(d));
  }
}

// A prediction rejected early (its upper-bound score is below the threshold): it still counts
// towards the statistics. `score_bound` >= its true best score, and is 0 only if that is 0.
inline void skip_prediction(Candidates& out, float score_bound) {
  ++out.positions;
  if (score_bound > out.max_score) out.max_score = score_bound;
}

inline Detection box_from_center(float cx, float cy, float w, float h) {
  Detection d;
  d.x1 = cx - 0.5f * w;
  d.y1 = cy - 0.5f * h;
  d.x2 = cx + 0.5f * w;
  d.y2 = cy + 0.5f * h;
  return d;
}

}  // namespace ez::zoo
