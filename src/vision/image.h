// An 8-bit image in memory: the one currency of the vision layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"

namespace ez::vision {

// Rows top to bottom, no row padding; channels interleaved: 3 = R,G,B, 1 = gray.
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;  // width * height * channels bytes

  Image() = default;
  Image(int w, int h, int c, uint8_t fill = 0)
      : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c, fill) {}

  bool empty() const { return width <= 0 || height <= 0 || pixels.empty(); }
  size_t row_bytes() const { return static_cast<size_t>(width) * channels; }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * row_bytes(); }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * row_bytes(); }
  uint8_t* at(int x, int y) { return row(y) + static_cast<size_t>(x) * channels; }
  const uint8_t* at(int x, int y) const { return row(y) + static_cast<size_t>(x) * channels; }
};

// Checks that the sizes agree (channels 1 or 3, pixels.size() == w*h*c); `what` names the image.
Status check_image(const Image& img, const char* what);

// Gray to RGB by replication; an RGB image is returned as a copy.
Image to_rgb(const Image& img);

}  // namespace ez::vision
