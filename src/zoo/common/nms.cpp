#include "zoo/common/nms.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace ez::zoo {

float box_iou(const Detection& a, const Detection& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0.0f;
  const float inter = iw * ih;
  const float area_a = std::max(0.0f, a.width()) * std::max(0.0f, a.height());
  const float area_b = std::max(0.0f, b.width()) * std::max(0.0f, b.height());
  const float uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

std::vector<Detection> nms(std::vector<Detection> boxes, const NmsOptions& options) {
  // NaN would break the strict weak ordering the sort relies on.
  boxes.erase(std::remove_if(boxes.begin(), boxes.end(), [](const Detection& d) { return std::isnan(d.score); }),
              boxes.end());
  std::vector<size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return boxes[a].score > boxes[b].score; });
  if (options.max_candidates > 0 && order.size() > static_cast<size_t>(options.max_candidates)) {
    order.resize(static_cast<size_t>(options.max_candidates));
  }

  const size_t limit = options.max_det > 0 ? static_cast<size_t>(options.max_det) : order.size();
  std::vector<Detection> kept;
  // Kept boxes grouped by class, so class-aware NMS compares only boxes that can suppress each other.
  std::unordered_map<int, std::vector<size_t>> kept_by_group;
  for (size_t index : order) {
    if (kept.size() >= limit) break;
    const Detection& candidate = boxes[index];
    std::vector<size_t>& group = kept_by_group[options.agnostic ? 0 : candidate.class_id];
    bool suppressed = false;
    for (size_t k : group) {
      if (box_iou(kept[k], candidate) > options.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    group.push_back(kept.size());
    kept.push_back(std::move(boxes[index]));
  }
  return kept;
}

}  // namespace ez::zoo
