// YOLOv5 / YOLOv7 (anchor-based heads) in the two layouts users meet:
//  - framework export [1, 3 x cells, 5 + classes]: decoded in the graph; rows of cx, cy, w, h in
//    input pixels, objectness, class probabilities. Score = objectness x class.
//  - split head (the NPU model-zoo export, cut after each 1x1 conv + Sigmoid): per stride
//    [1, anchors x (5 + classes), H, W], channel = anchor x (5 + classes) + field, all fields
//    sigmoided; xy = (v*2 - 0.5 + grid) * stride, wh = (v*2)^2 * anchor.
#pragma once

#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

Result<Candidates> decode_yolov5_rows(const NamedTensor& output, const DecodeOptions& options);

struct AnchorHeadOutput {
  const NamedTensor* output = nullptr;
  int stride = 0;  // input pixels per cell
};

// `heads` smallest stride first; `anchors` as in anchors.h (heads.size() x anchors x (w, h)).
Result<Candidates> decode_yolov5_split(const std::vector<AnchorHeadOutput>& heads, const std::vector<float>& anchors,
                                       const DecodeOptions& options);

}  // namespace ez::zoo
