// COCO ground truth and detection results as plain structs (the eval layer's vocabulary).
//
// These mirror the fields pycocotools reads for bounding-box evaluation and nothing more:
//   images:      id (+ width, height, file_name for callers that need them)
//   annotations: id, image_id, category_id, bbox [x, y, w, h] in pixels, area, iscrowd
//   categories:  id (+ name)
// Ids are integers (COCO's are). `area` is the annotation's own field (for COCO, the
// segmentation area), NOT w*h: pycocotools bins ground truth into small/medium/large by it.
// Detections carry no area and no id: like COCO.loadRes, the evaluator gives detection i the
// id i+1 and the area w*h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace ez::eval {

using BoxXYWH = std::array<double, 4>;  // x (left), y (top), width, height, in pixels

struct GtImage {
  int64_t id = 0;
  int width = 0;   // 0 when the source does not say
  int height = 0;
  std::string file_name;
};

struct GtAnnotation {
  int64_t id = 0;
  int64_t image_id = 0;
  int64_t category_id = 0;
  BoxXYWH bbox{};
  double area = 0;
  bool iscrowd = false;  // crowd regions are never counted as misses and never make a true positive
};

struct Category {
  int64_t id = 0;
  std::string name;
};

struct GroundTruth {
  std::vector<GtImage> images;
  std::vector<GtAnnotation> annotations;  // in file order (the order pycocotools keeps per image)
  std::vector<Category> categories;
  std::string source;  // file or folder it came from, for error messages
};

struct Detection {
  int64_t image_id = 0;
  int64_t category_id = 0;
  BoxXYWH bbox{};
  double score = 0;
};

// Unique image/annotation/category ids; every annotation names a known image and category;
// every box and area is finite; iscrowd is a flag. Each loader calls this before returning.
Status validate_ground_truth(const GroundTruth& gt);

}  // namespace ez::eval
