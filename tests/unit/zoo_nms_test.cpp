// Greedy NMS: IoU, class-aware vs agnostic, ties, max_det and the pre-NMS candidate cap.
#include <cmath>
#include <limits>

#include "zoo/common/nms.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::box;

TEST(ZooNms, IouOfKnownBoxes) {
  // 10x10 boxes overlapping on a 5x10 strip: 50 / (100 + 100 - 50).
  EXPECT_FLOAT_EQ(box_iou(box(0, 0, 10, 10, 1), box(5, 0, 15, 10, 1)), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(box_iou(box(0, 0, 10, 10, 1), box(0, 0, 10, 10, 1)), 1.0f);
  EXPECT_EQ(box_iou(box(0, 0, 10, 10, 1), box(10, 0, 20, 10, 1)), 0.0f);  // touching edges
  EXPECT_EQ(box_iou(box(0, 0, 0, 0, 1), box(0, 0, 0, 0, 1)), 0.0f);        // empty boxes
}

TEST(ZooNms, SuppressesOnlyAboveThresholdAndSortsByScore) {
  std::vector<Detection> in = {box(0, 0, 10, 10, 0.5f), box(1, 0, 11, 10, 0.9f), box(50, 50, 60, 60, 0.7f),
                               box(5, 0, 15, 10, 0.6f)};
  NmsOptions o;
  o.iou_threshold = 0.45f;
  std::vector<Detection> out = nms(in, o);
  // 0.9 keeps; 0.5 overlaps it by 9/11 (suppressed); 0.6 overlaps it by 6/14 = 0.43 (kept).
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[1].score, 0.7f);
  EXPECT_FLOAT_EQ(out[2].score, 0.6f);
  // IoU exactly at the threshold is not "more than" it: kept.
  o.iou_threshold = 50.0f / 150.0f;
  EXPECT_EQ(nms({box(0, 0, 10, 10, 0.9f), box(5, 0, 15, 10, 0.8f)}, o).size(), 2u);
}

TEST(ZooNms, ClassAwareKeepsOverlapsOfOtherClassesAgnosticDoesNot) {
  std::vector<Detection> in = {box(0, 0, 10, 10, 0.9f, 0), box(0, 0, 10, 10, 0.8f, 1), box(0, 0, 10, 10, 0.7f, 0)};
  NmsOptions o;
  std::vector<Detection> aware = nms(in, o);
  ASSERT_EQ(aware.size(), 2u);
  EXPECT_EQ(aware[0].class_id, 0);
  EXPECT_EQ(aware[1].class_id, 1);
  o.agnostic = true;
  std::vector<Detection> agnostic = nms(in, o);
  ASSERT_EQ(agnostic.size(), 1u);
  EXPECT_FLOAT_EQ(agnostic[0].score, 0.9f);
}

TEST(ZooNms, EqualScoresKeepInputOrder) {
  // Identical boxes with equal scores: the first one given wins, every time.
  std::vector<Detection> in = {box(0, 0, 10, 10, 0.5f), box(0, 0, 10, 10, 0.5f), box(20, 20, 30, 30, 0.5f)};
  in[0].extra = {1};
  in[1].extra = {2};
  in[2].extra = {3};
  std::vector<Detection> out = nms(in, {});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].extra[0], 1);
  EXPECT_EQ(out[1].extra[0], 3);
}

TEST(ZooNms, MaxDetAndCandidateCap) {
  std::vector<Detection> in;
  for (int i = 0; i < 10; ++i) in.push_back(box(20.0f * i, 0, 20.0f * i + 10, 10, 0.1f * (i + 1)));
  NmsOptions o;
  o.max_det = 3;
  std::vector<Detection> out = nms(in, o);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 1.0f);
  EXPECT_FLOAT_EQ(out[2].score, 0.8f);
  o.max_det = 0;  // no limit
  EXPECT_EQ(nms(in, o).size(), 10u);
  o.max_candidates = 4;  // only the best 4 enter NMS
  EXPECT_EQ(nms(in, o).size(), 4u);
}

TEST(ZooNms, DropsNanScoresAndHandlesEmptyInput) {
  EXPECT_TRUE(nms({}, {}).empty());
  std::vector<Detection> in = {box(0, 0, 10, 10, std::numeric_limits<float>::quiet_NaN()), box(0, 0, 10, 10, 0.3f)};
  std::vector<Detection> out = nms(in, {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].score, 0.3f);
}

}  // namespace
}  // namespace ez::zoo
