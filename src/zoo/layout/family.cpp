#include "zoo/layout/model_layout.h"

namespace ez::zoo {
namespace {

struct FamilyName {
  Family family;
  const char* name;
  bool user_value;  // accepted by --family
};
constexpr FamilyName kFamilies[] = {
    {Family::kYolox, "yolox", true},       {Family::kYolov5, "yolov5", true},   {Family::kYolov7, "yolov7", true},
    {Family::kYolov8, "yolov8", true},     {Family::kYolo11, "yolo11", true},   {Family::kYolov10, "yolov10", true},
    {Family::kPpyoloe, "ppyoloe", true},   {Family::kRetinaFace, "retinaface", true},
    {Family::kCtcText, "ctc_text", false},
};

}  // namespace

const char* family_name(Family family) {
  for (const FamilyName& f : kFamilies) {
    if (f.family == family) return f.name;
  }
  return "unknown";
}

std::string accepted_family_values() {
  std::string out;
  for (const FamilyName& f : kFamilies) {
    if (!f.user_value) continue;
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

Result<Family> parse_family(const std::string& text) {
  for (const FamilyName& f : kFamilies) {
    if (f.user_value && text == f.name) return f.family;
  }
  return invalid_argument("unknown --family '" + text + "'; accepted values: " + accepted_family_values());
}

PreprocessSpec preprocess_for(Family family) {
  PreprocessSpec spec;
  switch (family) {
    case Family::kYolox:  // trained on BGR 0-255 without normalisation
      spec.bgr = true;
      spec.scale = 1.0f;
      break;
    case Family::kRetinaFace:  // BGR minus the Caffe means, no scaling
      spec.bgr = true;
      spec.scale = 1.0f;
      spec.mean[0] = 104, spec.mean[1] = 117, spec.mean[2] = 123;
      spec.fill = 0;
      break;
    case Family::kCtcText:  // LPRNet: (x - 127.5) * 0.0078125 on a stretched BGR crop
      spec.bgr = true;
      spec.scale = 1.0f;
      spec.mean[0] = spec.mean[1] = spec.mean[2] = 127.5f;
      spec.std[0] = spec.std[1] = spec.std[2] = 128.0f;
      spec.letterbox = false;
      break;
    default:  // Ultralytics and PP-YOLOE exports: RGB 0-1, letterbox 114
      break;
  }
  return spec;
}

}  // namespace ez::zoo
