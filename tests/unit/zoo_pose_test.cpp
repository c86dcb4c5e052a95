// YOLO11/YOLOv8-pose [1, 56, N]: box, person score, 17 keypoints (x, y, visibility) as extras,
// and mapping them back through the letterbox.
#include "zoo/common/letterbox_mapping.h"
#include "zoo/detector.h"
#include "zoo/pose/keypoints.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::named;

TEST(ZooPose, DecodesKeypointsAsExtras) {
  Tensor t = filled({1, 56, 84});
  at(t, {0, 0, 7}) = 32;
  at(t, {0, 1, 7}) = 30;
  at(t, {0, 2, 7}) = 20;
  at(t, {0, 3, 7}) = 40;
  at(t, {0, 4, 7}) = 0.8f;
  for (int k = 0; k < 17; ++k) {
    at(t, {0, 5 + 3 * k, 7}) = 25.0f + k;
    at(t, {0, 6 + 3 * k, 7}) = 12.0f + 2 * k;
    at(t, {0, 7 + 3 * k, 7}) = k % 2 ? 0.9f : 0.1f;
  }
  std::vector<NamedTensor> outputs = {named("output0", t)};
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), 64, 64, "", "yolo11n-pose.onnx"});
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->task, Task::kPose);
  EXPECT_EQ(layout->family, Family::kYolo11);
  EXPECT_EQ(layout->num_keypoints, 17);
  Result<DecodeResult> r = decode_detections(outputs, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_box(r->detections[0], 22, 10, 42, 50);
  EXPECT_EQ(r->detections[0].class_id, 0);
  std::vector<Keypoint> kp = keypoints_of(r->detections[0]);
  ASSERT_EQ(kp.size(), 17u);
  EXPECT_EQ(kp[16].x, 41.0f);
  EXPECT_EQ(kp[16].y, 44.0f);
  EXPECT_FLOAT_EQ(kp[3].visibility, 0.9f);
  EXPECT_EQ(coco_keypoint_names().size(), 17u);
  EXPECT_EQ(extra_points(*layout), ExtraPoints::kKeypoints);
  EXPECT_EQ(default_labels(*layout), (std::vector<std::string>{"person"}));
}

TEST(ZooPose, SkeletonIndicesAreValid) {
  for (auto [a, b] : coco_keypoint_skeleton()) {
    EXPECT_GE(a, 0);
    EXPECT_LT(a, kCocoKeypointCount);
    EXPECT_GE(b, 0);
    EXPECT_LT(b, kCocoKeypointCount);
  }
}

TEST(ZooLetterbox, MapsBoxesAndKeypointsBackAndClips) {
  // 1280x720 letterboxed into 640x640: scale 0.5, 640x360 image, 140 rows of padding above.
  InputTransform t;
  t.scale_x = t.scale_y = 0.5f;
  t.pad_y = 140;
  t.image_width = 1280;
  t.image_height = 720;
  Detection d = testing::box(100, 190, 300, 290, 0.9f);
  d.extra = {50, 160, 0.7f, 700, 10, 0.2f};  // second point lies outside the image: clipped
  std::vector<Detection> dets = {d, testing::box(-20, 100, 650, 520, 0.5f)};
  map_to_image(dets, t, ExtraPoints::kKeypoints);
  expect_box(dets[0], 200, 100, 600, 300);
  EXPECT_FLOAT_EQ(dets[0].extra[0], 100);
  EXPECT_FLOAT_EQ(dets[0].extra[1], 40);
  EXPECT_FLOAT_EQ(dets[0].extra[2], 0.7f);  // visibility untouched
  EXPECT_FLOAT_EQ(dets[0].extra[3], 1280);
  EXPECT_FLOAT_EQ(dets[0].extra[4], 0);
  expect_box(dets[1], 0, 0, 1280, 720);
  // Landmarks are (x, y) pairs.
  Detection face = testing::box(0, 140, 10, 150, 0.9f);
  face.extra = {2, 142, 4, 144};
  std::vector<Detection> faces = {face};
  map_to_image(faces, t, ExtraPoints::kLandmarks);
  EXPECT_FLOAT_EQ(faces[0].extra[2], 8);
  EXPECT_FLOAT_EQ(faces[0].extra[3], 8);
}

}  // namespace
}  // namespace ez::zoo
