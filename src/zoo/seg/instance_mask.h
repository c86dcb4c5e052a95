// Instance masks of YOLOv8/YOLO11-seg: mask = sigmoid(coefficients . prototypes), upsampled
// bilinearly (align_corners = false) from the prototype grid (input / 4) to the input, then cropped
// to the detection box. Ultralytics thresholds sigmoid at 0.5, i.e. the logit at 0; interpolating
// the logit keeps that boundary and saves a sigmoid per pixel.
#pragma once

#include <cstdint>
#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

struct InstanceMask {
  int x = 0, y = 0;           // top-left pixel of the region in model-input pixels
  int width = 0, height = 0;  // the region: the detection box clipped to the input
  std::vector<uint8_t> bits;  // width x height, row-major; 1 = object
  // Model-input pixel (px, py); false outside the region.
  bool at(int px, int py) const {
    if (px < x || py < y || px >= x + width || py >= y + height) return false;
    return bits[static_cast<size_t>(py - y) * width + (px - x)] != 0;
  }
  int64_t area() const;
};

// `protos` is [1, coefficients, mh, mw]; each detection's extra holds its coefficients.
Result<std::vector<InstanceMask>> decode_masks(const std::vector<Detection>& detections, const NamedTensor& protos,
                                               int input_w, int input_h);

}  // namespace ez::zoo
