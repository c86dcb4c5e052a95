// YOLOX (Megvii): one output [1, N, 5 + classes] over the grids of strides 8/16/32 (row-major per
// stride, x fastest). The official ONNX export applies the sigmoid to objectness and classes but
// leaves the box raw: cx = (v0 + grid_x) * stride, w = exp(v2) * stride. Other exports decode the
// box in the graph; both are accepted (DecodeOptions::yolox_boxes, detected by default).
#pragma once

#include <vector>

#include "zoo/common/detection.h"
#include "zoo/common/float_view.h"
#include "zoo/common/objectness_rows.h"

namespace ez::zoo {

constexpr int kYoloxStrides[3] = {8, 16, 32};

// The grid cell of every output row for a WxH input (YOLOX floors W/stride, H/stride).
std::vector<GridCell> yolox_grid(int input_w, int input_h);

// True when the first two columns hold input-pixel centres rather than raw in-cell offsets.
bool yolox_boxes_look_decoded(const FloatView& rows);

Result<Candidates> decode_yolox(const NamedTensor& output, int input_w, int input_h, const DecodeOptions& options);

}  // namespace ez::zoo
