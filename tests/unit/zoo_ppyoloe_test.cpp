// PP-YOLOE's Paddle export: boxes [1, N, 4] (corners) + scores [1, classes, N].
#include "zoo/detector.h"
#include "zoo/ppyoloe/ppyoloe_decoder.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::named;

TEST(ZooPpyoloe, DecodesBoxesAndScoresThroughTheFrontDoor) {
  Tensor boxes = filled({1, 84, 4});
  Tensor scores = filled({1, 80, 84});
  at(boxes, {0, 50, 0}) = 4.5f;
  at(boxes, {0, 50, 1}) = 8.0f;
  at(boxes, {0, 50, 2}) = 30.25f;
  at(boxes, {0, 50, 3}) = 40.0f;
  at(scores, {0, 9, 50}) = 0.77f;
  std::vector<NamedTensor> outputs = {named("scores", scores), named("boxes", boxes)};  // order does not matter
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), 64, 64, "", ""});
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->family, Family::kPpyoloe);
  EXPECT_EQ(layout->head, Head::kBoxesScores);
  EXPECT_EQ(layout->num_classes, 80);
  Result<DecodeResult> r = decode_detections(outputs, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_box(r->detections[0], 4.5f, 8.0f, 30.25f, 40.0f);
  EXPECT_FLOAT_EQ(r->detections[0].score, 0.77f);
  EXPECT_EQ(r->detections[0].class_id, 9);
}

TEST(ZooPpyoloe, RejectsMismatchedCounts) {
  Result<Candidates> c = decode_ppyoloe_boxes_scores(named("boxes", filled({1, 84, 4})),
                                                     named("scores", filled({1, 80, 83})), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("scores"), std::string::npos);
}

}  // namespace
}  // namespace ez::zoo
