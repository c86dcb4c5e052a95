// Rows of (cx, cy, w, h, objectness, class scores...): the YOLOv5/v7 framework export and YOLOX.
// The final score is objectness x class score.
#pragma once

#include <string>
#include <vector>

#include "zoo/common/detection.h"
#include "zoo/common/float_view.h"

namespace ez::zoo {

// Where a row sits on the feature maps, for exports that leave grid offsets and exp() undone.
struct GridCell {
  float x, y;    // cell column and row
  float stride;  // input pixels per cell
};

// `grid` == nullptr: boxes are already centre/size in input pixels. Otherwise row i is raw:
// cx = (v0 + x) * stride, w = exp(v2) * stride (YOLOX).
Result<Candidates> decode_objectness_rows(const FloatView& rows, const std::string& name,
                                          const std::vector<GridCell>* grid, const DecodeOptions& options);

}  // namespace ez::zoo
