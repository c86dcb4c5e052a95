#include "vision/image.h"

#include <string>

namespace ez::vision {

Status check_image(const Image& img, const char* what) {
  if (img.width <= 0 || img.height <= 0)
    return invalid_argument(std::string(what) + ": empty image (" + std::to_string(img.width) + "x" +
                            std::to_string(img.height) + ")");
  if (img.channels != 1 && img.channels != 3)
    return invalid_argument(std::string(what) + ": " + std::to_string(img.channels) +
                            " channels, expected 1 (gray) or 3 (RGB)");
  const size_t want = static_cast<size_t>(img.width) * img.height * img.channels;
  if (img.pixels.size() != want)
    return invalid_argument(std::string(what) + ": holds " + std::to_string(img.pixels.size()) +
                            " bytes, a " + std::to_string(img.width) + "x" + std::to_string(img.height) + "x" +
                            std::to_string(img.channels) + " image needs " + std::to_string(want));
  return Status::OK();
}

Image to_rgb(const Image& img) {
  if (img.channels == 3) return img;
  Image out(img.width, img.height, 3);
  const size_t n = static_cast<size_t>(img.width) * img.height;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t v = img.pixels[i];
    out.pixels[3 * i] = out.pixels[3 * i + 1] = out.pixels[3 * i + 2] = v;
  }
  return out;
}

}  // namespace ez::vision
