#include "zoo/yolov5/anchors.h"

#include <cmath>
#include <cstdlib>

#include "core/file_util.h"

namespace ez::zoo {

const std::vector<float>& default_yolov5_anchors() {
  static const std::vector<float> anchors = {10, 13, 16,  30,  33,  23,  30,  61,  62,
                                             45, 59, 119, 116, 90,  156, 198, 373, 326};
  return anchors;
}

const std::vector<float>& default_yolov7_anchors() {
  static const std::vector<float> anchors = {12, 16, 19,  36,  40,  28,  36,  75,  76,
                                             55, 72, 146, 142, 110, 192, 243, 459, 401};
  return anchors;
}

Result<std::vector<float>> parse_anchors(const std::string& text, const std::string& source) {
  std::vector<float> anchors;
  size_t i = 0;
  int line = 1;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (c == '#') {  // comment to end of line
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
      ++i;
      continue;
    }
    const char* begin = text.c_str() + i;
    char* end = nullptr;
    const float v = std::strtof(begin, &end);
    if (end == begin) {
      return invalid_argument("anchor file '" + source + "' line " + std::to_string(line) + ": '" +
                              text.substr(i, 12) + "' is not a number");
    }
    if (!std::isfinite(v) || v <= 0) {
      return invalid_argument("anchor file '" + source + "' line " + std::to_string(line) +
                              ": anchors must be positive sizes in pixels");
    }
    anchors.push_back(v);
    i += static_cast<size_t>(end - begin);
  }
  if (anchors.empty() || anchors.size() % 2 != 0) {
    return invalid_argument("anchor file '" + source + "' has " + std::to_string(anchors.size()) +
                            " numbers; expected (w, h) pairs, e.g. 18 = 3 scales x 3 anchors x 2");
  }
  return anchors;
}

Result<std::vector<float>> load_anchors(const std::string& path) {
  EZ_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_anchors(text, path);
}

}  // namespace ez::zoo
