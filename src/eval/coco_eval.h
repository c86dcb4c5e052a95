// COCO bounding-box mAP with exactly the semantics of pycocotools' COCOeval(iouType='bbox'):
// evaluate() + accumulate() + summarize(), same numbers, same printout.
//   auto gt = load_coco_gt("instances_val2017.json");        // or load_yolo_gt(folder)
//   auto dets = load_coco_results("results.json");           // or your own vector<Detection>
//   auto r = evaluate_bbox(*gt, *dets);  std::cout << r->summary();   // r->stats[0] = AP50-95
//
// What pycocotools does, and so what this does (names in brackets are COCOeval's):
// * Images [imgIds] = the sorted ground-truth image ids; categories [catIds] = the sorted GT
//   category ids. Detections on other categories are dropped; a detection on an image that is
//   not in the ground truth is an error (loadRes asserts). Detection i gets id i+1 and area w*h.
// * Per (image, category): detections are sorted by score, high first, with a STABLE sort
//   (numpy mergesort on -score: ties keep their input order) and cut to the 100 best [maxDets[-1]].
// * IoU of boxes (maskApi bbIou): intersection / union; for a crowd ground truth the denominator
//   is the detection's own area instead (a detection inside a crowd region has IoU 1).
// * Ground truth is ignored [_ignore] when iscrowd, or when its 'area' field lies outside the area
//   range (the test is area < lo or area > hi, so both ends belong to the range); ignored GT go last.
// * Greedy matching per IoU threshold t in .50:.05:.95: each detection, best score first, takes
//   the not-yet-matched GT with the highest IoU >= min(t, 1-1e-10) (ties: the later GT wins);
//   crowd GT may be matched again and again; once a detection holds a regular GT it does not move
//   on to ignored ones. A detection matched to an ignored GT (crowd or out of area range) is
//   ignored: neither true nor false positive. An unmatched detection whose own area w*h is outside
//   the area range is ignored too. (As in pycocotools, "matched" means matched to a GT whose id is
//   non-zero: a GT with id 0 cannot produce a true positive.)
// * Per (category, area range, maxDets in 1/10/100): the first maxDets detections of every image
//   are pooled over images (in image-id order) and stable-sorted by score again; precision =
//   tp / (tp + fp + eps), recall = tp / (number of non-ignored GT). The precision envelope is made
//   monotone from the right, then read at the 101 recall thresholds 0:.01:1 (first index whose
//   recall >= the threshold; 0 past the last detection). Recall [recall] = the final recall.
// * A (category, area) with no non-ignored GT stays -1, and -1 entries are left out of every mean.
//   So categories without ground truth do not count, and an area range with no GT prints -1.000.
// Thresholds are computed exactly as numpy.linspace computes them, so ties at a threshold resolve
// the same way in both implementations.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/coco_types.h"

namespace ez {
class ThreadPool;
}

namespace ez::eval {

constexpr int kNumIouThresholds = 10;      // T
constexpr int kNumRecallThresholds = 101;  // R
constexpr int kNumAreaRanges = 4;          // A: all, small, medium, large
constexpr int kNumMaxDets = 3;             // M: 1, 10, 100

const std::array<double, kNumIouThresholds>& iou_thresholds();       // np.linspace(.5, .95, 10)
const std::array<double, kNumRecallThresholds>& recall_thresholds();  // np.linspace(0, 1, 101)
const std::array<std::array<double, 2>, kNumAreaRanges>& area_ranges();  // [0,1e10],[0,32²],[32²,96²],[96²,1e10]
const std::array<const char*, kNumAreaRanges>& area_range_labels();   // "all", "small", "medium", "large"
const std::array<int, kNumMaxDets>& max_dets();                       // 1, 10, 100

// IoU of a detection box with a ground-truth box, as maskApi's bbIou computes it.
double box_iou(const BoxXYWH& det, const BoxXYWH& gt, bool gt_is_crowd);

struct CocoEvalOptions {
  std::vector<int64_t> image_ids;     // evaluate only these images [params.imgIds]; empty = all GT images
  std::vector<int64_t> category_ids;  // only these categories [params.catIds]; empty = all GT categories
  const ThreadPool* pool = nullptr;   // categories are evaluated in parallel when given
};

struct CocoEvalResult {
  std::array<double, 12> stats{};     // COCOeval.stats: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl
  std::vector<int64_t> category_ids;  // K categories, sorted (the k index below)
  std::vector<double> precision;      // COCOeval.eval['precision'], [T][R][K][A][M], -1 = no GT
  std::vector<double> recall;         // COCOeval.eval['recall'], [T][K][A][M]
  size_t detections_used = 0;         // detections on evaluated images and categories
  size_t detections_dropped = 0;      // detections on categories (or images) not evaluated

  double precision_at(int t, int r, size_t k, int a, int m) const;
  double recall_at(int t, size_t k, int a, int m) const;
  // AP of one category, area 'all', 100 detections (mean over IoU thresholds, or the one at
  // iou_threshold_index when >= 0), as detectron/mmdet report per-class AP. -1 without GT.
  double category_ap(size_t k, int iou_threshold_index = -1) const;
  // The 12 lines pycocotools prints, e.g.
  // " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.286"
  std::string summary() const;
};

Result<CocoEvalResult> evaluate_bbox(const GroundTruth& gt, const std::vector<Detection>& dets,
                                     const CocoEvalOptions& options = {});

}  // namespace ez::eval
