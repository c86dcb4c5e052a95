// Anchor-free heads decoded in the graph (YOLOv8, YOLO11, their -seg and -pose variants, PP-YOLOE
// exported the Ultralytics way): one output of 4 + classes + extra values per prediction,
// boxes as cx, cy, w, h in input pixels, class scores after sigmoid, no objectness.
// Ultralytics exports it channels-first [1, 4 + classes + extra, N]; some tools transpose it to
// rows [1, N, 4 + classes + extra]. Extra values (32 mask coefficients, or keypoints as x, y,
// visibility) are copied into Detection::extra.
#pragma once

#include "zoo/common/detection.h"

namespace ez::zoo {

struct AnchorFreeFlatLayout {
  bool channels_first = true;  // [1, C, N] (Ultralytics) vs [1, N, C]
  int num_classes = 80;
  int num_extra = 0;           // values after the class scores
};

Result<Candidates> decode_anchor_free_flat(const NamedTensor& output, const AnchorFreeFlatLayout& layout,
                                           const DecodeOptions& options);

}  // namespace ez::zoo
