// Layout detection. The output names and shapes below were read from every model file in
// ../shared/data/models (including synthetic/ and int8/) with Debian's python3-onnx:
//   onnx.load(f).graph.output -> name, dims; graph.input -> the input size.
#include "zoo/layout/model_layout.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

struct ModelCase {
  const char* file;
  int input;  // square input size
  std::vector<OutputSpec> outputs;
  Family family;
  Head head;
  Task task;
  int num_classes;
  const char* description_part;  // a piece the description must contain
};

std::vector<OutputSpec> dfl_split(const std::vector<std::string>& names) {
  std::vector<OutputSpec> out;
  int k = 0;
  for (int cells : {80, 40, 20}) {
    out.push_back({names[k++], {1, 64, cells, cells}});
    out.push_back({names[k++], {1, 80, cells, cells}});
    out.push_back({names[k++], {1, 1, cells, cells}});
  }
  return out;
}

std::vector<ModelCase> model_cases() {
  return {
      {"yolox_nano.onnx", 416, {{"output", {1, 3549, 85}}}, Family::kYolox, Head::kObjectnessRows, Task::kDetect, 80,
       "yolox, one output 'output' [1,3549,85]"},
      {"yolov5n.onnx", 640, {{"output0", {1, 25200, 85}}}, Family::kYolov5, Head::kObjectnessRows, Task::kDetect, 80,
       "yolov5 framework export"},
      {"rknn_yolov5n.onnx", 640,
       {{"output0", {1, 255, 80, 80}}, {"output1", {1, 255, 40, 40}}, {"output2", {1, 255, 20, 20}}},
       Family::kYolov5, Head::kAnchorSplit, Task::kDetect, 80,
       "yolov5 split-head, 3 scales (strides 8/16/32), 3 anchors each, 80 classes"},
      {"yolov8n.onnx", 640, {{"output0", {1, 84, 8400}}}, Family::kYolov8, Head::kAnchorFreeFlat, Task::kDetect, 80,
       "yolov8 anchor-free, one output 'output0' [1,84,8400] channels-first"},
      {"yolov8n_int8_dynamic.onnx", 640, {{"output0", {1, 84, 8400}}}, Family::kYolov8, Head::kAnchorFreeFlat,
       Task::kDetect, 80, "80 classes"},
      {"rknn_yolov8n.onnx", 640,
       dfl_split({"box_8", "cls_8", "score_sum_8", "box_16", "cls_16", "score_sum_16", "box_32", "cls_32",
                  "score_sum_32"}),
       Family::kYolov8, Head::kDflSplit, Task::kDetect, 80,
       "yolov8 split-head, 3 scales (strides 8/16/32), 80 classes, DFL 16, with score_sum"},
      {"yolo11n.onnx", 640, {{"output0", {1, 84, 8400}}}, Family::kYolo11, Head::kAnchorFreeFlat, Task::kDetect, 80,
       "yolo11 anchor-free"},
      {"yolov8n-seg.onnx", 640, {{"output0", {1, 116, 8400}}, {"output1", {1, 32, 160, 160}}}, Family::kYolov8,
       Head::kAnchorFreeFlat, Task::kSegment, 80, "32 mask coefficients), boxes decoded in graph; prototypes 'output1' [1,32,160,160]"},
      {"yolo11n-pose.onnx", 640, {{"output0", {1, 56, 8400}}}, Family::kYolo11, Head::kAnchorFreeFlat, Task::kPose, 1,
       "17 keypoints"},
      {"yolov10n.onnx", 640, {{"output0", {1, 300, 6}}}, Family::kYolov10, Head::kEndToEnd, Task::kDetect, 0,
       "yolov10 end-to-end, one output 'output0' [1,300,6]"},
      {"retinaface_mobile0.25.onnx", 640, {{"output0", {1, 16800, 16}}}, Family::kRetinaFace, Head::kRetinaFace,
       Task::kFace, 1, "retinaface, one output"},
      {"lprnet.onnx", 0, {{"output", {1, 68, 18}}}, Family::kCtcText, Head::kCtc, Task::kText, 68,
       "CTC text recogniser"},
      {"int8/yolov8n_int8.onnx", 320, {{"output0", {1, 84, 2100}}}, Family::kYolov8, Head::kAnchorFreeFlat,
       Task::kDetect, 80, "[1,84,2100]"},
      {"int8/yolo11n_int8.onnx", 320, {{"output0", {1, 84, 2100}}}, Family::kYolo11, Head::kAnchorFreeFlat,
       Task::kDetect, 80, "[1,84,2100]"},
      {"int8/yolov8n-seg_int8.onnx", 320, {{"output0", {1, 116, 2100}}, {"output1", {1, 32, 80, 80}}},
       Family::kYolov8, Head::kAnchorFreeFlat, Task::kSegment, 80, "32 mask coefficients"},
      {"synthetic/yolov8n_arch_random.onnx", 640, {{"concat_622", {1, 84, 8400}}}, Family::kYolov8,
       Head::kAnchorFreeFlat, Task::kDetect, 80, "80 classes"},
      {"synthetic/yolov8n_arch_random_split.onnx", 640,
       dfl_split({"conv_461", "sigmoid_483", "clip_490", "conv_510", "sigmoid_532", "clip_539", "conv_559",
                  "sigmoid_581", "clip_588"}),
       Family::kYolov8, Head::kDflSplit, Task::kDetect, 80, "DFL 16, with score_sum"},
  };
}

TEST(ZooLayout, RecognisesEveryModelInTheDataFolder) {
  for (const ModelCase& m : model_cases()) {
    SCOPED_TRACE(m.file);
    LayoutQuery q;
    q.outputs = m.outputs;
    q.input_width = q.input_height = m.input;
    if (std::string(m.file) == "lprnet.onnx") q.input_width = 94, q.input_height = 24;
    q.hint = m.file;  // the CLI passes the model path: it names YOLO11 apart from YOLOv8
    Result<ModelLayout> l = detect_layout(q);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    EXPECT_EQ(family_name(l->family), std::string(family_name(m.family)));
    EXPECT_EQ(l->head, m.head);
    EXPECT_EQ(l->task, m.task);
    EXPECT_EQ(l->num_classes, m.num_classes);
    EXPECT_NE(l->description.find(m.description_part), std::string::npos) << l->description;
  }
}

TEST(ZooLayout, SplitHeadRolesAndStrides) {
  LayoutQuery q;
  // The synthetic split model names say nothing; roles come from channel counts.
  q.outputs = dfl_split({"a", "b", "c", "d", "e", "f", "g", "h", "i"});
  q.input_width = q.input_height = 640;
  Result<ModelLayout> l = detect_layout(q);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->scales.size(), 3u);
  EXPECT_EQ(l->strides, (std::vector<int>{8, 16, 32}));
  EXPECT_EQ(l->scales[2].stride, 32);
  EXPECT_EQ(l->scales[2].box, "g");
  EXPECT_EQ(l->scales[2].cls, "h");
  EXPECT_EQ(l->scales[2].score_sum, "i");
  EXPECT_EQ(l->dfl_bins, 16);
  // Outputs in another order (coarse scale first, class before box) still map by name and size.
  q.outputs = {{"cls_32", {1, 80, 20, 20}}, {"box_32", {1, 64, 20, 20}}, {"cls_8", {1, 80, 80, 80}},
               {"box_8", {1, 64, 80, 80}},  {"cls_16", {1, 80, 40, 40}}, {"box_16", {1, 64, 40, 40}}};
  l = detect_layout(q);
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  EXPECT_EQ(l->scales[0].box, "box_8");
  EXPECT_EQ(l->scales[0].cls, "cls_8");
  EXPECT_TRUE(l->scales[0].score_sum.empty());
  EXPECT_EQ(l->description.find("score_sum"), std::string::npos);
}

TEST(ZooLayout, InfersTheInputSizeWhenUnknown) {
  struct Case {
    std::vector<OutputSpec> outputs;
    Head head;
    int input;
  };
  const std::vector<Case> cases = {
      {{{"output0", {1, 84, 8400}}}, Head::kAnchorFreeFlat, 640},
      {{{"output0", {1, 25200, 85}}}, Head::kObjectnessRows, 640},
      {{{"output", {1, 3549, 85}}}, Head::kObjectnessRows, 416},
      {{{"output0", {1, 16800, 16}}}, Head::kRetinaFace, 640},
      {{{"o0", {1, 255, 80, 80}}, {"o1", {1, 255, 40, 40}}, {"o2", {1, 255, 20, 20}}}, Head::kAnchorSplit, 640},
  };
  for (const Case& c : cases) {
    Result<ModelLayout> l = detect_layout({c.outputs, 0, 0, "", ""});
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    EXPECT_EQ(l->head, c.head);
    EXPECT_EQ(l->input_width, c.input);
    EXPECT_EQ(l->input_height, c.input);
  }
}

TEST(ZooLayout, FamilyOverride) {
  LayoutQuery q{{{"output0", {1, 25200, 85}}}, 640, 640, "yolov7", ""};
  Result<ModelLayout> l = detect_layout(q);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->family, Family::kYolov7);
  EXPECT_EQ(l->head, Head::kObjectnessRows);
  // A YOLOX export at an input size it was not built for: only the override can say so.
  q = {{{"output", {1, 100, 85}}}, 640, 640, "", ""};
  EXPECT_FALSE(detect_layout(q).ok());
  q.family = "yolox";
  l = detect_layout(q);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->family, Family::kYolox);
  // A transposed YOLOv8 export with 81 values a row would read as YOLOX; the override fixes it.
  q = {{{"output0", {1, 8400, 85}}}, 640, 640, "", ""};
  EXPECT_EQ(detect_layout(q)->family, Family::kYolox);
  q.family = "yolov8";
  l = detect_layout(q);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->head, Head::kAnchorFreeFlat);
  EXPECT_FALSE(l->channels_first);
  EXPECT_EQ(l->num_classes, 81);
  // The override must fit the outputs.
  q = {{{"output0", {1, 84, 8400}}}, 640, 640, "yolov10", ""};
  Result<ModelLayout> bad = detect_layout(q);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("yolov10"), std::string::npos);
  q.family = "yolov99";
  bad = detect_layout(q);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("yolox, yolov5, yolov7, yolov8, yolo11, yolov10, ppyoloe"), std::string::npos);
}

TEST(ZooLayout, TransposedYolov8RowsAreRecognised) {
  Result<ModelLayout> l = detect_layout({{{"output0", {1, 8400, 84}}}, 640, 640, "", ""});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->family, Family::kYolov8);
  EXPECT_FALSE(l->channels_first);
  EXPECT_EQ(l->num_classes, 80);
  l = detect_layout({{{"output0", {1, 8400, 56}}}, 640, 640, "", ""});  // transposed pose export
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->task, Task::kPose);
  EXPECT_FALSE(l->channels_first);
  EXPECT_EQ(l->num_keypoints, 17);
  // Square [1, 84, 84] (64x64 input) is ambiguous; the Ultralytics export is channels-first.
  l = detect_layout({{{"output0", {1, 84, 84}}}, 64, 64, "", ""});
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->channels_first);
}

TEST(ZooLayout, UnrecognisedOutputsListShapesAndFamilies) {
  Result<ModelLayout> l = detect_layout({{{"logits", {1, 1000}}, {"aux", {1, 3, 7}}}, 224, 224, "", ""});
  ASSERT_FALSE(l.ok());
  const std::string& m = l.status().message();
  EXPECT_NE(m.find("'logits' [1,1000]"), std::string::npos) << m;
  EXPECT_NE(m.find("'aux' [1,3,7]"), std::string::npos) << m;
  EXPECT_NE(m.find("--family"), std::string::npos) << m;
  EXPECT_NE(m.find("yolox, yolov5, yolov7, yolov8, yolo11, yolov10, ppyoloe"), std::string::npos) << m;
  EXPECT_FALSE(detect_layout({{}, 640, 640, "", ""}).ok());
  // Split heads whose scales do not divide the input are not guessed at.
  EXPECT_FALSE(detect_layout({{{"a", {1, 255, 80, 80}}, {"b", {1, 255, 33, 33}}}, 640, 640, "", ""}).ok());
}

TEST(ZooLayout, FamilyNamesRoundTripAndPreprocessing) {
  for (const char* name : {"yolox", "yolov5", "yolov7", "yolov8", "yolo11", "yolov10", "ppyoloe", "retinaface"}) {
    Result<Family> f = parse_family(name);
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_EQ(std::string(family_name(*f)), name);
  }
  EXPECT_TRUE(preprocess_for(Family::kYolox).bgr);
  EXPECT_EQ(preprocess_for(Family::kYolox).scale, 1.0f);
  EXPECT_FALSE(preprocess_for(Family::kYolov8).bgr);
  EXPECT_FLOAT_EQ(preprocess_for(Family::kYolov8).scale, 1.0f / 255);
  EXPECT_EQ(preprocess_for(Family::kRetinaFace).mean[0], 104.0f);
}

}  // namespace
}  // namespace ez::zoo
