// YOLOv10 end-to-end rows [1, K, 6]: threshold only, no NMS, the model's order kept.
#include "zoo/detector.h"
#include "zoo/yolov10/yolov10_decoder.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::named;

void set_row(Tensor& t, int i, std::initializer_list<float> values) {
  int c = 0;
  for (float v : values) at(t, {0, i, c++}) = v;
}

TEST(ZooYolov10, DecodesRowsWithoutNms) {
  Tensor t = filled({1, 300, 6});
  set_row(t, 0, {10.5f, 20.25f, 110.0f, 220.75f, 0.95f, 5.0f});
  set_row(t, 1, {12.0f, 21.0f, 111.0f, 221.0f, 0.90f, 5.0f});  // overlaps row 0, same class: still kept
  set_row(t, 2, {300, 300, 400, 400, 0.30f, 0.9999f});          // class stored as a float: rounds to 1
  set_row(t, 3, {1, 1, 2, 2, 0.20f, 7.0f});                     // below the threshold
  std::vector<NamedTensor> outputs = {named("output0", t)};
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), 640, 640, "", ""});
  ASSERT_TRUE(layout.ok());
  ASSERT_EQ(layout->head, Head::kEndToEnd);
  EXPECT_EQ(default_labels(*layout).size(), 80u);
  Result<DecodeResult> r = decode_detections(outputs, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 3u);
  expect_box(r->detections[0], 10.5f, 20.25f, 110.0f, 220.75f);
  EXPECT_FLOAT_EQ(r->detections[0].score, 0.95f);
  EXPECT_EQ(r->detections[0].class_id, 5);
  EXPECT_EQ(r->detections[1].class_id, 5);
  EXPECT_EQ(r->detections[2].class_id, 1);
  EXPECT_TRUE(r->warnings.empty());  // 300 rows of which 3 pass: no flood warning for NMS-free heads

  DecodeOptions o;
  o.max_det = 2;
  r = decode_detections(outputs, *layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->detections.size(), 2u);
}

TEST(ZooYolov10, CandidatesAreMarkedNmsFree) {
  Tensor t = filled({1, 4, 6});
  set_row(t, 0, {0, 0, 10, 10, 0.5f, 3});
  Result<Candidates> c = decode_yolov10(named("output0", t), {});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->needs_nms);
  ASSERT_EQ(c->boxes.size(), 1u);
  EXPECT_EQ(c->boxes[0].class_id, 3);
  EXPECT_FALSE(decode_yolov10(named("output0", filled({1, 4, 7})), {}).ok());
}

}  // namespace
}  // namespace ez::zoo
