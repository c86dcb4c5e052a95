// YOLOv10 (and other end-to-end, NMS-free heads): [1, K, 6] rows of x1, y1, x2, y2 (input
// pixels), score, class index, already the model's own top K. Only the threshold applies.
#pragma once

#include "zoo/common/detection.h"

namespace ez::zoo {

Result<Candidates> decode_yolov10(const NamedTensor& output, const DecodeOptions& options);

}  // namespace ez::zoo
