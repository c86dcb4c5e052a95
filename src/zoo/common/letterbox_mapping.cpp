#include "zoo/common/letterbox_mapping.h"

#include <algorithm>

namespace ez::zoo {

void map_to_image(std::vector<Detection>& detections, const InputTransform& t, ExtraPoints points) {
  const float w = static_cast<float>(t.image_width), h = static_cast<float>(t.image_height);
  auto map_x = [&](float x) { return std::clamp((x - t.pad_x) / t.scale_x, 0.0f, w); };
  auto map_y = [&](float y) { return std::clamp((y - t.pad_y) / t.scale_y, 0.0f, h); };
  const size_t step = points == ExtraPoints::kKeypoints ? 3 : 2;
  for (Detection& d : detections) {
    d.x1 = map_x(d.x1);
    d.y1 = map_y(d.y1);
    d.x2 = map_x(d.x2);
    d.y2 = map_y(d.y2);
    if (points == ExtraPoints::kNone) continue;
    for (size_t i = 0; i + 1 < d.extra.size(); i += step) {
      d.extra[i] = map_x(d.extra[i]);
      d.extra[i + 1] = map_y(d.extra[i + 1]);
    }
  }
}

}  // namespace ez::zoo
