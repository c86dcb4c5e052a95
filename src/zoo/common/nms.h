// Greedy non-maximum suppression, the variant the YOLO families are evaluated with.
#pragma once

#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

struct NmsOptions {
  float iou_threshold = 0.45f;  // a box is dropped when IoU with a kept box is > this
  int max_det = 300;            // stop after this many kept boxes (<= 0: no limit)
  bool agnostic = false;        // false: boxes only suppress boxes of their own class
  int max_candidates = 30000;   // only the best this many enter NMS (<= 0: all)
};

// Intersection over union of two corner boxes (continuous coordinates, no +1). 0 for empty boxes.
float box_iou(const Detection& a, const Detection& b);

// Sorted by score (highest first; equal scores keep their input order, so results are
// deterministic). Boxes with a NaN score are dropped.
std::vector<Detection> nms(std::vector<Detection> boxes, const NmsOptions& options);

}  // namespace ez::zoo
