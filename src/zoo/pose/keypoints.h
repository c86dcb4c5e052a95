// Pose models (YOLOv8/YOLO11-pose) carry 17 COCO keypoints per person in Detection::extra as
// (x, y, visibility) triples in model-input pixels, visibility already a probability.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "zoo/common/detection.h"

namespace ez::zoo {

constexpr int kCocoKeypointCount = 17;

struct Keypoint {
  float x = 0, y = 0, visibility = 0;
};

// The keypoints of a pose detection (extra.size() / 3 of them).
std::vector<Keypoint> keypoints_of(const Detection& detection);

const std::vector<std::string>& coco_keypoint_names();           // "nose", "left_eye", ...
const std::vector<std::pair<int, int>>& coco_keypoint_skeleton();  // limbs as keypoint index pairs

}  // namespace ez::zoo
