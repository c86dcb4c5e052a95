#include "zoo/common/labels.h"

#include "core/file_util.h"

namespace ez::zoo {
namespace {

// COCO category id of each of the 80 model classes (the ids missing from 1..90 were never used).
constexpr int kCoco80CategoryIds[80] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
    46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
    67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

const std::vector<std::string>& coco80_labels() {
  static const std::vector<std::string> labels = {
      "person", "bicycle", "car", "motorcycle", "airplane", "bus",
      "train", "truck", "boat", "traffic light", "fire hydrant", "stop sign",
      "parking meter", "bench", "bird", "cat", "dog", "horse",
      "sheep", "cow", "elephant", "bear", "zebra", "giraffe",
      "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
      "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
      "skateboard", "surfboard", "tennis racket", "bottle", "wine glass", "cup",
      "fork", "knife", "spoon", "bowl", "banana", "apple",
      "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza",
      "donut", "cake", "chair", "couch", "potted plant", "bed",
      "dining table", "toilet", "tv", "laptop", "mouse", "remote",
      "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
      "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
      "hair drier", "toothbrush"};
  return labels;
}

Result<std::vector<std::string>> parse_labels(const std::string& text, const std::string& source) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(trim_right(text.substr(start, end - start)));
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return invalid_argument("label file '" + source + "' has no names");
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return invalid_argument("label file '" + source + "': line " + std::to_string(i + 1) +
                              " is empty (one class name a line; an empty line would shift the class indices)");
    }
  }
  return lines;
}

Result<std::vector<std::string>> load_labels(const std::string& path) {
  EZ_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_labels(text, path);
}

std::string label_name(const std::vector<std::string>& labels, int class_id) {
  if (class_id >= 0 && static_cast<size_t>(class_id) < labels.size()) return labels[class_id];
  return "class " + std::to_string(class_id);
}

int coco80_to_category_id(int class_index) {
  if (class_index < 0 || class_index >= 80) return -1;
  return kCoco80CategoryIds[class_index];
}

int coco_category_id_to_80(int category_id) {
  for (int i = 0; i < 80; ++i) {
    if (kCoco80CategoryIds[i] == category_id) return i;
  }
  return -1;
}

}  // namespace ez::zoo
