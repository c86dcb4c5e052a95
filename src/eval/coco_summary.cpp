// COCOeval.summarize(): means over the accumulated arrays, and the printout.
#include <cstdio>

#include "eval/coco_eval.h"
#include "eval/coco_match.h"

namespace ez::eval {
namespace {

// numpy's float64 add.reduce: pairwise summation (8 accumulators under 128 elements) over
// buffer-sized chunks of 8192 added one after another. Used so means agree to the last bit.
double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

// np.mean(s[s > -1]) in C order, or -1 when nothing is > -1.
double mean_of_valid(const std::vector<double>& values) {
  std::vector<double> v;
  for (double x : values) {
    if (x > -1) v.push_back(x);
  }
  if (v.empty()) return -1;
  double sum = 0.;
  for (size_t start = 0; start < v.size(); start += 8192) sum += pairwise_sum(v.data() + start, std::min<size_t>(8192, v.size() - start));
  return sum / static_cast<double>(v.size());
}

// np.where(iouThr == p.iouThrs): the index of an exactly equal threshold, or -2 if none.
int iou_index(double iou) {
  for (int t = 0; t < kNumIouThresholds; ++t) {
    if (iou_thresholds()[t] == iou) return t;
  }
  return -2;
}

struct Line {
  bool ap;
  double iou;  // < 0: all thresholds
  int area;
  int max_det_index;
};

// _summarizeDets' 12 calls.
const std::array<Line, 12> kLines = {{{true, -1, 0, 2},
                                      {true, .5, 0, 2},
                                      {true, .75, 0, 2},
                                      {true, -1, 1, 2},
                                      {true, -1, 2, 2},
                                      {true, -1, 3, 2},
                                      {false, -1, 0, 0},
                                      {false, -1, 0, 1},
                                      {false, -1, 0, 2},
                                      {false, -1, 1, 2},
                                      {false, -1, 2, 2},
                                      {false, -1, 3, 2}}};

double summarize(const CocoEvalResult& res, const Line& line) {
  const size_t K = res.category_ids.size();
  const int t_only = line.iou < 0 ? -1 : iou_index(line.iou);
  std::vector<double> s;
  for (int t = 0; t < kNumIouThresholds; ++t) {
    if (t_only != -1 && t != t_only) continue;
    if (line.ap) {
      for (int r = 0; r < kNumRecallThresholds; ++r) {
        for (size_t k = 0; k < K; ++k) s.push_back(res.precision_at(t, r, k, line.area, line.max_det_index));
      }
    } else {
      for (size_t k = 0; k < K; ++k) s.push_back(res.recall_at(t, k, line.area, line.max_det_index));
    }
  }
  return mean_of_valid(s);
}

}  // namespace

namespace detail {
std::array<double, 12> summarize_stats(const CocoEvalResult& res) {
  std::array<double, 12> stats{};
  for (size_t i = 0; i < kLines.size(); ++i) stats[i] = summarize(res, kLines[i]);
  return stats;
}
}  // namespace detail

double CocoEvalResult::precision_at(int t, int r, size_t k, int a, int m) const {
  const size_t K = category_ids.size();
  return precision[(((static_cast<size_t>(t) * kNumRecallThresholds + r) * K + k) * kNumAreaRanges + a) * kNumMaxDets + m];
}

double CocoEvalResult::recall_at(int t, size_t k, int a, int m) const {
  const size_t K = category_ids.size();
  return recall[((static_cast<size_t>(t) * K + k) * kNumAreaRanges + a) * kNumMaxDets + m];
}

double CocoEvalResult::category_ap(size_t k, int iou_threshold_index) const {
  std::vector<double> s;
  for (int t = 0; t < kNumIouThresholds; ++t) {
    if (iou_threshold_index >= 0 && t != iou_threshold_index) continue;
    for (int r = 0; r < kNumRecallThresholds; ++r) s.push_back(precision_at(t, r, k, 0, kNumMaxDets - 1));
  }
  return mean_of_valid(s);
}

std::string CocoEvalResult::summary() const {
  // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
  std::string out;
  char iou[16], line[160];
  for (size_t i = 0; i < kLines.size(); ++i) {
    const Line& l = kLines[i];
    if (l.iou < 0) {
      std::snprintf(iou, sizeof(iou), "%0.2f:%0.2f", iou_thresholds().front(), iou_thresholds().back());
    } else {
      std::snprintf(iou, sizeof(iou), "%0.2f", l.iou);
    }
    std::snprintf(line, sizeof(line), " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", iou,
                  area_range_labels()[l.area], max_dets()[l.max_det_index], stats[i]);
    out += line;
  }
  return out;
}

}  // namespace ez::eval
