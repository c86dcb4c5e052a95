// YOLOX: raw boxes (grid offset + exp applied by the decoder) and already-decoded boxes, built
// from a known box by inverting the decode.
#include <cmath>

#include "zoo/common/scores.h"
#include "zoo/yolox/yolox_decoder.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::named;

// 64x64 input: 8x8 cells at stride 8, 4x4 at 16, 2x2 at 32 = 84 rows; 80 classes.
constexpr int kInput = 64;
constexpr int kRows = 84;
// The known object: class 3, centre (40.3, 25.7), size 20.5 x 12.25, in cell (2, 1) of stride 16.
constexpr float kCx = 40.3f, kCy = 25.7f, kW = 20.5f, kH = 12.25f;
constexpr int kRow = 64 + 1 * 4 + 2;

Tensor raw_output(float obj = 0.8f, float cls = 0.9f) {
  Tensor t = filled({1, kRows, 85});
  at(t, {0, kRow, 0}) = kCx / 16 - 2;  // inverse of cx = (v0 + gx) * stride
  at(t, {0, kRow, 1}) = kCy / 16 - 1;
  at(t, {0, kRow, 2}) = std::log(kW / 16);  // inverse of w = exp(v2) * stride
  at(t, {0, kRow, 3}) = std::log(kH / 16);
  at(t, {0, kRow, 4}) = obj;
  at(t, {0, kRow, 5 + 3}) = cls;
  return t;
}

TEST(ZooYolox, GridFollowsTheExportOrder) {
  std::vector<GridCell> grid = yolox_grid(416, 416);
  ASSERT_EQ(grid.size(), 3549u);  // 52^2 + 26^2 + 13^2, as yolox_nano.onnx
  EXPECT_EQ(grid[1].x, 1);        // x fastest
  EXPECT_EQ(grid[52].y, 1);
  EXPECT_EQ(grid[2704].stride, 16);
  EXPECT_EQ(grid.back().x, 12);
  EXPECT_EQ(grid.back().y, 12);
  EXPECT_EQ(grid.back().stride, 32);
  EXPECT_EQ(yolox_grid(kInput, kInput)[kRow].x, 2);
}

TEST(ZooYolox, DecodesRawBoxes) {
  DecodeOptions o;
  Result<Candidates> c = decode_yolox(named("output", raw_output()), kInput, kInput, o);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
  EXPECT_NEAR(c->boxes[0].score, 0.72f, 1e-6);  // obj x class
  EXPECT_EQ(c->boxes[0].class_id, 3);
  EXPECT_EQ(c->positions, kRows);
  EXPECT_EQ(c->passed, 1);
  EXPECT_TRUE(c->warnings.empty());
}

TEST(ZooYolox, DecodesAlreadyDecodedBoxesDetectedOrForced) {
  // Every row holds its cell centre in pixels, as a decoded export would; one row holds the object.
  Tensor t = filled({1, kRows, 85});
  std::vector<GridCell> grid = yolox_grid(kInput, kInput);
  for (int i = 0; i < kRows; ++i) {
    at(t, {0, i, 0}) = (grid[i].x + 0.5f) * grid[i].stride;
    at(t, {0, i, 1}) = (grid[i].y + 0.5f) * grid[i].stride;
    at(t, {0, i, 2}) = at(t, {0, i, 3}) = grid[i].stride;
  }
  at(t, {0, kRow, 0}) = kCx;
  at(t, {0, kRow, 1}) = kCy;
  at(t, {0, kRow, 2}) = kW;
  at(t, {0, kRow, 3}) = kH;
  at(t, {0, kRow, 4}) = 0.5f;
  at(t, {0, kRow, 5 + 79}) = 0.6f;
  NamedTensor out = named("output", t);
  EXPECT_TRUE(yolox_boxes_look_decoded(FloatView::of(t, "output").value()));
  EXPECT_FALSE(yolox_boxes_look_decoded(FloatView::of(raw_output(), "output").value()));
  for (auto encoding : {DecodeOptions::BoxEncoding::kAuto, DecodeOptions::BoxEncoding::kDecoded}) {
    DecodeOptions o;
    o.yolox_boxes = encoding;
    Result<Candidates> c = decode_yolox(out, 0, 0, o);  // decoded boxes need no input size
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_EQ(c->boxes.size(), 1u);
    expect_box(c->boxes[0], kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
    EXPECT_NEAR(c->boxes[0].score, 0.3f, 1e-6);
    EXPECT_EQ(c->boxes[0].class_id, 79);
  }
  // Forcing raw on the raw tensor gives the same as auto.
  DecodeOptions raw;
  raw.yolox_boxes = DecodeOptions::BoxEncoding::kRaw;
  Result<Candidates> c = decode_yolox(named("output", raw_output()), kInput, kInput, raw);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
}

TEST(ZooYolox, LogitScoresAreSigmoidedWithAWarning) {
  Tensor t = raw_output(logit(0.8f), logit(0.9f));
  // Every other score is a very negative logit, as a real export without sigmoid gives.
  for (int i = 0; i < kRows; ++i) {
    for (int c = 4; c < 85; ++c) {
      if (i != kRow || (c != 4 && c != 8)) at(t, {0, i, c}) = -9.0f;
    }
  }
  Result<Candidates> c = decode_yolox(named("output", t), kInput, kInput, {});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  EXPECT_NEAR(c->boxes[0].score, 0.72f, 1e-5);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0].code, "scores_not_sigmoided");
}

TEST(ZooYolox, MultiLabelAndThreshold) {
  Tensor t = raw_output(1.0f, 0.9f);
  at(t, {0, kRow, 5 + 7}) = 0.5f;
  DecodeOptions o;
  o.multi_label = true;
  Result<Candidates> c = decode_yolox(named("output", t), kInput, kInput, o);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 2u);  // class 3 (0.9) and class 7 (0.5)
  EXPECT_EQ(c->boxes[1].class_id, 7);
  o.multi_label = false;
  o.conf_threshold = 0.95f;
  c = decode_yolox(named("output", t), kInput, kInput, o);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->boxes.empty());
  EXPECT_NEAR(c->max_score, 0.9f, 1e-6);
}

TEST(ZooYolox, RejectsMismatchedShapes) {
  Result<Candidates> c = decode_yolox(named("output", raw_output()), 640, 640, {});  // 8400 cells, 84 rows
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("84 rows"), std::string::npos) << c.status().message();
  EXPECT_FALSE(decode_yolox(named("output", filled({1, kRows, 5})), kInput, kInput, {}).ok());
  EXPECT_FALSE(decode_yolox(named("output", filled({2, kRows, 85})), kInput, kInput, {}).ok());
  EXPECT_FALSE(decode_yolox(named("output", Tensor::zeros(DType::kInt8, {1, kRows, 85})), kInput, kInput, {}).ok());
  EXPECT_FALSE(decode_yolox(named("output", raw_output()), 0, 0, {}).ok());  // raw boxes need the input size
}

}  // namespace
}  // namespace ez::zoo
