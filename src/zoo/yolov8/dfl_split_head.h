// Anchor-free split head with Distribution Focal Loss boxes, the NPU model-zoo layout of
// YOLOv8 / YOLO11 / PP-YOLOE (head cut before the in-graph decode). Per stride:
//   box       [1, 4 x bins, H, W]  logits of the distances l, t, r, b (16 bins for YOLOv8/11,
//                                   17 for PP-YOLOE): softmax over the bins, expectation
//   cls       [1, classes, H, W]   class scores after sigmoid
//   score_sum [1, 1, H, W]         optional: Clip(sum of class scores, 0, 1), an upper bound of
//                                   the best score, used to skip cells cheaply
// Box = anchor point (x + 0.5, y + 0.5) minus/plus the distances, times the stride.
#pragma once

#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

struct DflScaleOutputs {
  int stride = 0;
  const NamedTensor* box = nullptr;
  const NamedTensor* cls = nullptr;
  const NamedTensor* score_sum = nullptr;  // may be null
};

Result<Candidates> decode_dfl_split(const std::vector<DflScaleOutputs>& scales, const DecodeOptions& options);

// Expected distance (in bins) of a softmax over `bins` logits spaced `step` floats apart.
float dfl_expectation(const float* logits, int bins, int64_t step);

}  // namespace ez::zoo
