// Anchor boxes of the anchor-based YOLO heads (YOLOv5, YOLOv7): 3 scales x 3 anchors x (w, h) in
// input pixels, smallest stride (8) first — the order of models/anchors_yolov5.txt.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace ez::zoo {

const std::vector<float>& default_yolov5_anchors();
const std::vector<float>& default_yolov7_anchors();

// Numbers separated by whitespace, commas or newlines ('#' starts a comment); an even count > 0.
Result<std::vector<float>> parse_anchors(const std::string& text, const std::string& source);
Result<std::vector<float>> load_anchors(const std::string& path);

}  // namespace ez::zoo
