// The model family and output layout of a detector, decided from its output names and shapes
// alone (plus the model input size), so that running a model needs no flags. A description
// string says what was recognised, e.g. "yolov8 split-head, 3 scales (strides 8/16/32), 80
// classes, DFL 16, with score_sum".
#pragma once

#include <string>
#include <vector>

#include "core/shape.h"
#include "core/status.h"

namespace ez::zoo {

enum class Family { kYolox, kYolov5, kYolov7, kYolov8, kYolo11, kYolov10, kPpyoloe, kRetinaFace, kCtcText };
enum class Task { kDetect, kSegment, kPose, kFace, kText };

enum class Head {
  kObjectnessRows,  // [1, N, 5 + classes]: YOLOX (raw or decoded boxes), YOLOv5/v7 framework export
  kAnchorSplit,     // YOLOv5/v7 NPU export: per stride [1, anchors x (5 + classes), H, W]
  kAnchorFreeFlat,  // YOLOv8/11(-seg/-pose): [1, 4 + classes + extra, N] or its transpose
  kDflSplit,        // YOLOv8/11/PP-YOLOE NPU export: per stride box DFL + cls (+ score_sum)
  kEndToEnd,        // YOLOv10: [1, K, 6], NMS-free
  kBoxesScores,     // PP-YOLOE Paddle export: boxes [1, N, 4] + scores [1, classes, N]
  kRetinaFace,      // [1, N, 16] or three outputs (boxes, scores, landmarks)
  kCtc,             // text recogniser [1, classes, steps]: no detection decoder
};

struct OutputSpec {
  std::string name;
  Shape shape;
};

// The outputs of one scale of a split head, by name. kAnchorSplit uses only `box` (the whole head).
struct ScaleRoles {
  int stride = 0;
  std::string box, cls, score_sum;  // score_sum may be empty
};

struct ModelLayout {
  Family family = Family::kYolov8;
  Task task = Task::kDetect;
  Head head = Head::kAnchorFreeFlat;
  int input_width = 0, input_height = 0;  // as given, or inferred from the output shapes
  int num_classes = 0;
  std::vector<int> strides;   // smallest first
  int dfl_bins = 0;           // kDflSplit
  int anchors_per_scale = 0;  // anchor-based heads
  bool channels_first = false;  // kAnchorFreeFlat [1, C, N]; kCtc [1, classes, steps]
  int num_mask_coeffs = 0;    // segmentation
  int num_keypoints = 0;      // pose: (x, y, visibility) each
  // Flat layouts: the prediction output (PP-YOLOE: boxes; RetinaFace: combined or box deltas).
  std::string main_output;
  std::string scores_output;  // PP-YOLOE scores; RetinaFace (three outputs): class logits
  std::string extra_output;   // segmentation prototypes; RetinaFace (three outputs): landmarks
  std::vector<ScaleRoles> scales;  // split heads, smallest stride first
  std::string description;
};

// The question: what the runtime knows about the model.
struct LayoutQuery {
  std::vector<OutputSpec> outputs;
  int input_width = 0, input_height = 0;  // 0: unknown, inferred when the shapes allow
  std::string family;  // --family override ("" = detect); values: accepted_family_values()
  // Model file name or metadata text (e.g. Ultralytics' description): tells YOLO11 from YOLOv8,
  // YOLOv7 from YOLOv5 and pose heads, which share their output shapes.
  std::string hint;
};

Result<ModelLayout> detect_layout(const LayoutQuery& query);

const char* family_name(Family family);  // "yolov8", ...
Result<Family> parse_family(const std::string& text);
std::string accepted_family_values();  // "yolox, yolov5, ..."

// How images are turned into this family's input tensor: value = (pixel * scale - mean) / std,
// per channel in the stated order. Numbers only: the vision layer applies them.
struct PreprocessSpec {
  bool bgr = false;
  float scale = 1.0f / 255.0f;
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
  bool letterbox = true;  // keep the aspect ratio, pad with `fill`; false: stretch to the input
  int fill = 114;
};
PreprocessSpec preprocess_for(Family family);

}  // namespace ez::zoo
