// Ground truth from an Ultralytics YOLO dataset folder:
//   <root>/images/<split>/*.jpg|*.jpeg|*.png  and  <root>/labels/<split>/<same stem>.txt
// Each label row is "class cx cy w h", normalised to 0..1 by the image size. As in Ultralytics,
// a file in which any row has more than 6 values holds polygons ("class x1 y1 x2 y2 ..."), and
// each polygon's box is its min/max extent; exact duplicate rows are dropped; a missing label
// file means an image without objects.
// Becomes COCO ground truth: bbox = [(cx - w/2)·W, (cy - h/2)·H, w·W, h·H], area = w·W·h·H,
// iscrowd 0, annotation ids 1, 2, ... in file order. Class i maps to COCO category id
// coco80_to_91(i) (1..90 with gaps) unless `coco80_to_91` is off (then the id is i itself).
// Image ids: the file stem when every stem is a number (COCO's 000000000139.jpg -> 139), else
// 1..N in sorted file-name order. Image sizes come from the file header (image_size.h) unless a
// callback is given.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/coco_types.h"
#include "eval/image_size.h"

namespace ez::eval {

// The standard COCO 80-class index -> 91-id category map (Ultralytics' coco80_to_coco91_class).
// Returns -1 outside 0..79.
int coco80_to_91(int class_index);

struct YoloDatasetOptions {
  std::string split = "val";
  bool coco80_to_91 = true;
  int num_classes = 80;                  // class indices must be below this
  std::vector<std::string> class_names;  // category names (optional)
  // Replaces the header reader, e.g. for formats it does not know. Gets the image path.
  std::function<Result<ImageSize>(const std::string&)> image_size;
};

Result<GroundTruth> load_yolo_gt(const std::string& root, const YoloDatasetOptions& options = {});

}  // namespace ez::eval
