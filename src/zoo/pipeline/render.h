// Draws detections on the original image: boxes with "label score" tags in class colours, and
// pose keypoints / face landmarks as dots.
#pragma once

#include <string>
#include <vector>

#include "vision/image.h"
#include "vision/text.h"
#include "zoo/common/detection.h"
#include "zoo/common/letterbox_mapping.h"

namespace ez::zoo {

// font may be null (no font installed): boxes are drawn without labels.
void draw_detections(vision::Image& image, const std::vector<Detection>& detections,
                     const std::vector<std::string>& labels, const vision::Font* font, ExtraPoints points);

// "person 0.88"
std::string detection_label(const Detection& d, const std::vector<std::string>& labels);

}  // namespace ez::zoo
