// Class names and the COCO category ids that result JSON files must use.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace ez::zoo {

// The 80 COCO class names in model order (index 0 = person), as in coco/coco_80_labels.txt.
const std::vector<std::string>& coco80_labels();

// One name a line; "\r\n" endings and trailing blanks are tolerated, trailing empty lines ignored.
// An empty line inside the list is an error: it would silently shift every later class index.
Result<std::vector<std::string>> load_labels(const std::string& path);
Result<std::vector<std::string>> parse_labels(const std::string& text, const std::string& source);

// labels[class_id], or "class <id>" when the list is shorter (a model with more classes).
std::string label_name(const std::vector<std::string>& labels, int class_id);

// COCO detectors predict 80 contiguous classes; the annotation files number them 1..90 with
// gaps (ids of categories dropped from the final dataset). -1 when out of range.
int coco80_to_category_id(int class_index);
int coco_category_id_to_80(int category_id);

}  // namespace ez::zoo
