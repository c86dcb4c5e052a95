// COCOeval.computeIoU + evaluateImg for bounding boxes, line for line.
#include "eval/coco_match.h"

#include <algorithm>
#include <cmath>

#include "eval/coco_eval.h"

namespace ez::eval {

// maskApi.c bbIou: same operations in the same order, so the same doubles.
double box_iou(const BoxXYWH& d, const BoxXYWH& g, bool gt_is_crowd) {
  const double ga = g[2] * g[3];
  const double da = d[2] * d[3];
  const double w = std::fmin(d[2] + d[0], g[2] + g[0]) - std::fmax(d[0], g[0]);
  if (w <= 0) return 0;
  const double h = std::fmin(d[3] + d[1], g[3] + g[1]) - std::fmax(d[1], g[1]);
  if (h <= 0) return 0;
  const double i = w * h;
  const double u = gt_is_crowd ? da : da + ga - i;
  return i / u;
}

namespace detail {

std::vector<const Detection*> sort_detections(std::vector<const Detection*> dets, size_t max_det) {
  std::stable_sort(dets.begin(), dets.end(), [](const Detection* a, const Detection* b) { return a->score > b->score; });
  if (dets.size() > max_det) dets.resize(max_det);
  return dets;
}

std::vector<double> compute_ious(const std::vector<const GtAnnotation*>& gts,
                                 const std::vector<const Detection*>& sorted_dets) {
  const size_t G = gts.size();
  std::vector<double> ious(sorted_dets.size() * G);
  for (size_t d = 0; d < sorted_dets.size(); ++d) {
    for (size_t g = 0; g < G; ++g) ious[d * G + g] = box_iou(sorted_dets[d]->bbox, gts[g]->bbox, gts[g]->iscrowd);
  }
  return ious;
}

ImageEval evaluate_image(const std::vector<const GtAnnotation*>& gts,
                         const std::vector<const Detection*>& sorted_dets, const std::vector<double>& ious,
                         double area_lo, double area_hi) {
  const size_t G = gts.size();
  const size_t D = sorted_dets.size();
  const auto& thresholds = iou_thresholds();
  const size_t T = thresholds.size();

  // gt['_ignore'], then gtind = argsort(_ignore, kind='mergesort'): regular GT first, file order kept.
  std::vector<size_t> order;
  order.reserve(G);
  std::vector<uint8_t> ignore_of(G);
  for (size_t g = 0; g < G; ++g) {
    ignore_of[g] = gts[g]->iscrowd || gts[g]->area < area_lo || gts[g]->area > area_hi;
    if (!ignore_of[g]) order.push_back(g);
  }
  for (size_t g = 0; g < G; ++g) {
    if (ignore_of[g]) order.push_back(g);
  }
  std::vector<uint8_t> gt_ig(G), crowd(G);
  ImageEval out;
  for (size_t j = 0; j < G; ++j) {
    gt_ig[j] = ignore_of[order[j]];
    crowd[j] = gts[order[j]]->iscrowd;
    out.num_gt += gt_ig[j] == 0;
  }
  out.scores.resize(D);
  for (size_t d = 0; d < D; ++d) out.scores[d] = sorted_dets[d]->score;
  out.matched.assign(T * D, 0);
  out.ignored.assign(T * D, 0);

  if (G > 0 && D > 0) {  // maskUtils.iou returns [] when either side is empty: nothing matches
    std::vector<uint8_t> gt_taken(G);
    for (size_t t = 0; t < T; ++t) {
      std::fill(gt_taken.begin(), gt_taken.end(), 0);
      for (size_t d = 0; d < D; ++d) {
        double best = std::min(thresholds[t], 1 - 1e-10);
        long m = -1;
        for (size_t j = 0; j < G; ++j) {
          if (gt_taken[j] && !crowd[j]) continue;                 // taken, and not a crowd
          if (m > -1 && gt_ig[m] == 0 && gt_ig[j] == 1) break;    // holds a regular GT; the rest are ignored
          const double iou = ious[d * G + order[j]];
          if (iou < best) continue;
          best = iou;
          m = static_cast<long>(j);
        }
        if (m == -1) continue;
        out.ignored[t * D + d] = gt_ig[m];
        out.matched[t * D + d] = gts[order[m]]->id != 0;  // dtMatches holds the GT id; 0 reads as "no match"
        gt_taken[m] = 1;                                  // gtMatches holds the det id (>= 1)
      }
    }
  }
  // Unmatched detections outside the area range are ignored.
  for (size_t d = 0; d < D; ++d) {
    const double area = sorted_dets[d]->bbox[2] * sorted_dets[d]->bbox[3];
    if (!(area < area_lo || area > area_hi)) continue;
    for (size_t t = 0; t < T; ++t) {
      if (!out.matched[t * D + d]) out.ignored[t * D + d] = 1;
    }
  }
  return out;
}

}  // namespace detail
}  // namespace ez::eval
