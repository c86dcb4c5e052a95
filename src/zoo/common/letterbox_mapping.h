// Decoders report model-input pixels. The pre-processing scaled the image (letterbox: the same
// scale on both axes, then padding; stretch: a scale per axis) — this undoes it so boxes,
// keypoints and landmarks land on the original image, clipped to it. The numbers come from the
// vision layer's letterbox (vision::LetterboxInfo: scale, pad_x, pad_y, src_w, src_h); zoo does
// not compute letterbox geometry itself, so there is one rule for it in edgezoo.
#pragma once

#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

struct InputTransform {
  float scale_x = 1, scale_y = 1;  // input pixels per image pixel
  float pad_x = 0, pad_y = 0;      // input pixels added on the left / top
  int image_width = 0, image_height = 0;
};

// Which values of Detection::extra are image points to map along with the box.
enum class ExtraPoints {
  kNone,       // nothing, or mask coefficients
  kKeypoints,  // (x, y, visibility) triples
  kLandmarks,  // (x, y) pairs
};

void map_to_image(std::vector<Detection>& detections, const InputTransform& transform, ExtraPoints points);

}  // namespace ez::zoo
