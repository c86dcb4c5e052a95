#include "zoo/pipeline/render.h"

#include <cmath>
#include <cstdio>

#include "vision/draw.h"
#include "zoo/common/labels.h"

namespace ez::zoo {

std::string detection_label(const Detection& d, const std::vector<std::string>& labels) {
  char score[16];
  std::snprintf(score, sizeof score, " %.2f", d.score);
  return label_name(labels, d.class_id) + score;
}

void draw_detections(vision::Image& image, const std::vector<Detection>& detections,
                     const std::vector<std::string>& labels, const vision::Font* font, ExtraPoints points) {
  const int thickness = vision::suggested_line_width(image);
  // Worst first, so the best boxes and labels end up on top.
  for (auto it = detections.rbegin(); it != detections.rend(); ++it) {
    const Detection& d = *it;
    const vision::Color color = vision::palette_color(d.class_id);
    vision::draw_box_with_label(image, font, static_cast<int>(std::lround(d.x1)), static_cast<int>(std::lround(d.y1)),
                                static_cast<int>(std::lround(d.x2)), static_cast<int>(std::lround(d.y2)),
                                detection_label(d, labels), color, thickness);
    const int stride = points == ExtraPoints::kKeypoints ? 3 : points == ExtraPoints::kLandmarks ? 2 : 0;
    if (!stride) continue;
    for (size_t k = 0; k + stride <= d.extra.size(); k += stride) {
      if (stride == 3 && d.extra[k + 2] < 0.5f) continue;  // keypoint not visible
      vision::fill_circle(image, d.extra[k], d.extra[k + 1], std::max(2.0f, thickness * 1.5f),
                          vision::pose_palette_color(static_cast<int>(k / stride)));
    }
  }
}

}  // namespace ez::zoo
