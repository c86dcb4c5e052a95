#include "zoo/pose/keypoints.h"

namespace ez::zoo {

std::vector<Keypoint> keypoints_of(const Detection& detection) {
  std::vector<Keypoint> out(detection.extra.size() / 3);
  for (size_t k = 0; k < out.size(); ++k) {
    out[k] = {detection.extra[3 * k], detection.extra[3 * k + 1], detection.extra[3 * k + 2]};
  }
  return out;
}

const std::vector<std::string>& coco_keypoint_names() {
  static const std::vector<std::string> names = {
      "nose",       "left_eye",       "right_eye",   "left_ear",   "right_ear",  "left_shoulder",
      "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
      "right_hip",  "left_knee",      "right_knee",  "left_ankle", "right_ankle"};
  return names;
}

const std::vector<std::pair<int, int>>& coco_keypoint_skeleton() {
  // The COCO person skeleton (Ultralytics' drawing order), 0-based.
  static const std::vector<std::pair<int, int>> limbs = {
      {15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12}, {5, 6}, {5, 7}, {6, 8},
      {7, 9},   {8, 10},  {1, 2},   {0, 1},   {0, 2},   {1, 3},  {2, 4},  {3, 5}, {4, 6}};
  return limbs;
}

}  // namespace ez::zoo
