// Decoders report model-input pixels. The pre-processing scaled the image (letterbox: the same
// scale on both axes, then padding; stretch: a scale per axis) — this undoes it so boxes,
// keypoints and landmarks land on the original image, clipped to it.
#pragma once

#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

struct InputTransform {
  float scale_x = 1, scale_y = 1;  // input pixels per image pixel
  float pad_x = 0, pad_y = 0;      // input pixels added on the left / top
  int image_width = 0, image_height = 0;
};

// The usual centred letterbox of an image into a WxH input (what the reference model zoos do).
InputTransform centred_letterbox(int image_w, int image_h, int input_w, int input_h);

// Which values of Detection::extra are image points to map along with the box.
enum class ExtraPoints {
  kNone,       // nothing, or mask coefficients
  kKeypoints,  // (x, y, visibility) triples
  kLandmarks,  // (x, y) pairs
};

void map_to_image(std::vector<Detection>& detections, const InputTransform& transform, ExtraPoints points);

}  // namespace ez::zoo
