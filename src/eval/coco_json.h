// COCO JSON in and out: ground-truth instance files and detection result files.
//
// Ground truth (instances_*.json): an object with "images", "annotations" and "categories"
// arrays. Required per annotation: id, image_id, category_id, bbox (4 numbers), area, iscrowd
// (0/1 or a bool). "segmentation", "ignore" and other keys are read past: pycocotools derives
// the ignore flag for boxes from iscrowd alone (it overwrites any "ignore" field).
// Results (the list COCO.loadRes reads): an array of {image_id, category_id, bbox, score};
// any other key (segmentation, area, id) is ignored, as loadRes recomputes area and id.
// Every error names the file and the entry at fault, e.g.
//   "instances.json: annotations[12]: missing key 'bbox'".
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "eval/coco_types.h"

namespace ez::eval {

Result<GroundTruth> load_coco_gt(const std::string& path);
// `name` is only used in error messages (usually the file name).
Result<GroundTruth> parse_coco_gt(const std::string& json_text, const std::string& name);

Result<std::vector<Detection>> load_coco_results(const std::string& path);
Result<std::vector<Detection>> parse_coco_results(const std::string& json_text, const std::string& name);

// Writes the results array (full double precision), atomically.
std::string coco_results_json(const std::vector<Detection>& dets);
Status save_coco_results(const std::string& path, const std::vector<Detection>& dets);

}  // namespace ez::eval
