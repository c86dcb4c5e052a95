// PP-YOLOE as PaddleDetection exports it without NMS: two outputs, boxes [1, N, 4] as x1, y1,
// x2, y2 in input pixels and scores [1, classes, N] after sigmoid. (Its NPU split-head layout is
// the DFL split head of yolov8/dfl_split_head.h with 17 bins.)
#pragma once

#include "zoo/common/detection.h"

namespace ez::zoo {

Result<Candidates> decode_ppyoloe_boxes_scores(const NamedTensor& boxes, const NamedTensor& scores,
                                               const DecodeOptions& options);

}  // namespace ez::zoo
