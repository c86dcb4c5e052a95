// Image width and height from the file header alone (no decoding): JPEG (the SOFn marker) and
// PNG (IHDR). For JPEG the EXIF orientation is applied the way Ultralytics' exif_size() does:
// orientation 6 or 8 (rotated 90/270 degrees) swaps width and height; other values do not.
// Only the segment headers are read; large APPn segments are skipped with seeks.
#pragma once

#include <istream>
#include <string>

#include "core/status.h"

namespace ez::eval {

struct ImageSize {
  int width = 0;
  int height = 0;
};

Result<ImageSize> read_image_size(const std::string& path);
// `name` appears in error messages.
Result<ImageSize> read_image_size(std::istream& in, const std::string& name);

}  // namespace ez::eval
