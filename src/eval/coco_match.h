// Internal pieces of coco_eval: COCOeval.evaluateImg for one (image, category, area range),
// and summarize().
#pragma once

#include <cstdint>
#include <vector>

#include "eval/coco_eval.h"
#include "eval/coco_types.h"

namespace ez::eval::detail {

// What accumulate() needs of one evaluateImg result.
struct ImageEval {
  std::vector<double> scores;    // [D] detection scores, highest first [dtScores]
  std::vector<uint8_t> matched;  // [T*D] matched to a GT with a non-zero id [dtMatches != 0]
  std::vector<uint8_t> ignored;  // [T*D] [dtIgnore]
  int64_t num_gt = 0;            // ground truths not ignored [count of gtIgnore == 0]
};

// The detections of one (image, category) in evaluation order: stable-sorted by score, high
// first (numpy mergesort on -score), and cut to max_det.
std::vector<const Detection*> sort_detections(std::vector<const Detection*> dets, size_t max_det);

// ious[d * G + g] for the sorted detections against the GT in their original order.
std::vector<double> compute_ious(const std::vector<const GtAnnotation*>& gts,
                                 const std::vector<const Detection*>& sorted_dets);

// gts: the (image, category)'s ground truth in file order; sorted_dets: as sort_detections returns;
// ious: as compute_ious returns. Area range [lo, hi].
ImageEval evaluate_image(const std::vector<const GtAnnotation*>& gts,
                         const std::vector<const Detection*>& sorted_dets, const std::vector<double>& ious,
                         double area_lo, double area_hi);

// COCOeval.summarize(): the 12 stats from the accumulated precision and recall.
std::array<double, 12> summarize_stats(const CocoEvalResult& res);

}  // namespace ez::eval::detail
