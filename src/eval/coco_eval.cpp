// COCOeval.evaluate() + accumulate() for bounding boxes. One category at a time (categories are
// independent), so memory stays O(images) and categories can run in parallel.
#include "eval/coco_eval.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <unordered_map>

#include "core/thread_pool.h"
#include "eval/coco_match.h"

namespace ez::eval {
namespace {

// numpy.linspace(start, stop, num): i * ((stop - start) / (num - 1)) + start, last = stop exactly.
template <size_t N>
std::array<double, N> linspace(double start, double stop) {
  std::array<double, N> out{};
  const double step = (stop - start) / static_cast<double>(N - 1);
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<double>(i) * step + start;
  out[N - 1] = stop;
  return out;
}

std::vector<int64_t> sorted_unique(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// The ground truth and detections of one category, grouped by image (image-index order).
struct CategoryItems {
  std::vector<std::pair<size_t, const GtAnnotation*>> gts;  // (image index, gt), file order within an image
  std::vector<std::pair<size_t, const Detection*>> dets;
};

// accumulate() for one (category k, area a, maxDets m) over its per-image results `evals`.
void accumulate(const std::vector<detail::ImageEval>& evals, size_t max_det, size_t k, int a, int m, size_t K,
                CocoEvalResult* res) {
  if (evals.empty()) return;
  struct Entry {
    double score;
    const detail::ImageEval* e;
    size_t d;
  };
  std::vector<Entry> entries;
  int64_t npig = 0;
  for (const auto& e : evals) {
    const size_t n = std::min(max_det, e.scores.size());
    for (size_t d = 0; d < n; ++d) entries.push_back({e.scores[d], &e, d});
    npig += e.num_gt;
  }
  if (npig == 0) return;
  // np.argsort(-dtScores, kind='mergesort'): stable, so ties keep image order, then score order.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) { return x.score > y.score; });

  const auto& rec_thrs = recall_thresholds();
  const size_t nd = entries.size();
  std::vector<double> rc(nd), pr(nd);
  for (int t = 0; t < kNumIouThresholds; ++t) {
    int64_t tp = 0, fp = 0;
    for (size_t i = 0; i < nd; ++i) {
      const detail::ImageEval& e = *entries[i].e;
      const size_t at = static_cast<size_t>(t) * e.scores.size() + entries[i].d;
      if (!e.ignored[at]) (e.matched[at] ? tp : fp) += 1;
      const double tpd = static_cast<double>(tp), fpd = static_cast<double>(fp);
      rc[i] = tpd / static_cast<double>(npig);
      pr[i] = tpd / (fpd + tpd + DBL_EPSILON);  // np.spacing(1)
    }
    res->recall[((t * K + k) * kNumAreaRanges + a) * kNumMaxDets + m] = nd ? rc[nd - 1] : 0;
    for (size_t i = nd; i-- > 1;) {
      if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    }
    for (int r = 0; r < kNumRecallThresholds; ++r) {
      // np.searchsorted(rc, recThr, side='left'); past the end: q stays 0 (the IndexError break)
      const size_t pi = static_cast<size_t>(std::lower_bound(rc.begin(), rc.end(), rec_thrs[r]) - rc.begin());
      const double q = pi < nd ? pr[pi] : 0.0;
      res->precision[(((static_cast<size_t>(t) * kNumRecallThresholds + r) * K + k) * kNumAreaRanges + a) *
                         kNumMaxDets + m] = q;
    }
  }
}

// evaluateImg for every image and area range of one category, then accumulate.
void evaluate_category(const CategoryItems& items, size_t k, size_t K, CocoEvalResult* res) {
  const size_t max_det = static_cast<size_t>(max_dets().back());
  std::array<std::vector<detail::ImageEval>, kNumAreaRanges> evals;
  size_t gi = 0, di = 0;
  std::vector<const GtAnnotation*> gts;
  std::vector<const Detection*> dets;
  while (gi < items.gts.size() || di < items.dets.size()) {
    // The next image that has ground truth or detections (evaluateImg returns None for the rest).
    size_t image = SIZE_MAX;
    if (gi < items.gts.size()) image = items.gts[gi].first;
    if (di < items.dets.size()) image = std::min(image, items.dets[di].first);
    gts.clear();
    dets.clear();
    for (; gi < items.gts.size() && items.gts[gi].first == image; ++gi) gts.push_back(items.gts[gi].second);
    for (; di < items.dets.size() && items.dets[di].first == image; ++di) dets.push_back(items.dets[di].second);
    const std::vector<const Detection*> sorted = detail::sort_detections(dets, max_det);
    const std::vector<double> ious = detail::compute_ious(gts, sorted);
    for (int a = 0; a < kNumAreaRanges; ++a) {
      evals[a].push_back(detail::evaluate_image(gts, sorted, ious, area_ranges()[a][0], area_ranges()[a][1]));
    }
  }
  for (int a = 0; a < kNumAreaRanges; ++a) {
    for (int m = 0; m < kNumMaxDets; ++m) accumulate(evals[a], static_cast<size_t>(max_dets()[m]), k, a, m, K, res);
  }
}

}  // namespace

const std::array<double, kNumIouThresholds>& iou_thresholds() {
  static const auto t = linspace<kNumIouThresholds>(0.5, 0.95);
  return t;
}

const std::array<double, kNumRecallThresholds>& recall_thresholds() {
  static const auto r = linspace<kNumRecallThresholds>(0.0, 1.0);
  return r;
}

const std::array<std::array<double, 2>, kNumAreaRanges>& area_ranges() {
  static const std::array<std::array<double, 2>, kNumAreaRanges> r = {
      {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}}};
  return r;
}

const std::array<const char*, kNumAreaRanges>& area_range_labels() {
  static const std::array<const char*, kNumAreaRanges> l = {"all", "small", "medium", "large"};
  return l;
}

const std::array<int, kNumMaxDets>& max_dets() {
  static const std::array<int, kNumMaxDets> m = {1, 10, 100};
  return m;
}

Result<CocoEvalResult> evaluate_bbox(const GroundTruth& gt, const std::vector<Detection>& dets,
                                     const CocoEvalOptions& options) {
  EZ_RETURN_IF_ERROR(validate_ground_truth(gt));
  std::vector<int64_t> image_ids, category_ids;
  for (const GtImage& img : gt.images) image_ids.push_back(img.id);
  for (const Category& cat : gt.categories) category_ids.push_back(cat.id);
  std::unordered_map<int64_t, size_t> gt_images;
  for (size_t i = 0; i < gt.images.size(); ++i) gt_images.emplace(gt.images[i].id, i);
  image_ids = sorted_unique(options.image_ids.empty() ? image_ids : options.image_ids);
  category_ids = sorted_unique(options.category_ids.empty() ? category_ids : options.category_ids);

  std::unordered_map<int64_t, size_t> image_index, category_index;
  for (size_t i = 0; i < image_ids.size(); ++i) image_index.emplace(image_ids[i], i);
  for (size_t k = 0; k < category_ids.size(); ++k) category_index.emplace(category_ids[k], k);

  const size_t K = category_ids.size();
  CocoEvalResult res;
  res.category_ids = category_ids;
  res.precision.assign(static_cast<size_t>(kNumIouThresholds) * kNumRecallThresholds * K * kNumAreaRanges * kNumMaxDets, -1.0);
  res.recall.assign(static_cast<size_t>(kNumIouThresholds) * K * kNumAreaRanges * kNumMaxDets, -1.0);

  std::vector<CategoryItems> items(K);
  for (const GtAnnotation& a : gt.annotations) {
    auto i = image_index.find(a.image_id);
    auto k = category_index.find(a.category_id);
    if (i != image_index.end() && k != category_index.end()) items[k->second].gts.emplace_back(i->second, &a);
  }
  for (size_t n = 0; n < dets.size(); ++n) {
    const Detection& d = dets[n];
    bool finite = std::isfinite(d.score);
    for (double v : d.bbox) finite = finite && std::isfinite(v);
    if (!finite) return invalid_argument("detection " + std::to_string(n) + " has a non-finite score or box");
    if (!gt_images.count(d.image_id)) {
      return invalid_argument("detection " + std::to_string(n) + " is on image_id " + std::to_string(d.image_id) +
                              ", which is not in the ground truth '" + gt.source + "'");
    }
    auto i = image_index.find(d.image_id);
    auto k = category_index.find(d.category_id);
    if (i == image_index.end() || k == category_index.end()) {
      ++res.detections_dropped;
      continue;
    }
    items[k->second].dets.emplace_back(i->second, &d);
    ++res.detections_used;
  }
  const auto by_image = [](const auto& x, const auto& y) { return x.first < y.first; };
  for (CategoryItems& c : items) {
    std::stable_sort(c.gts.begin(), c.gts.end(), by_image);
    std::stable_sort(c.dets.begin(), c.dets.end(), by_image);
  }

  const auto run = [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) evaluate_category(items[k], static_cast<size_t>(k), K, &res);
  };
  if (options.pool) {
    options.pool->parallel_for(static_cast<int64_t>(K), 1, run);
  } else {
    run(0, static_cast<int64_t>(K));
  }
  res.stats = detail::summarize_stats(res);
  return res;
}

}  // namespace ez::eval
