// YOLOv8/YOLO11/PP-YOLOE anchor-free heads: the in-graph-decoded [1, 84, N] (and its transpose)
// and the NPU split head (DFL box logits + class scores + score_sum), built from known boxes.
#include <cmath>

#include "zoo/common/scores.h"
#include "zoo/detector.h"
#include "zoo/yolov8/anchor_free_flat.h"
#include "zoo/yolov8/dfl_split_head.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::has_warning;
using testing::named;

// --- flat [1, 4 + classes, N] ---------------------------------------------------------------

Tensor flat_output(bool channels_first, int n, int i, float cx, float cy, float w, float h, int cls, float score) {
  Tensor t = channels_first ? filled({1, 84, n}) : filled({1, n, 84});
  auto value = [&](int c) -> float& { return channels_first ? at(t, {0, c, i}) : at(t, {0, i, c}); };
  value(0) = cx;
  value(1) = cy;
  value(2) = w;
  value(3) = h;
  value(4 + cls) = score;
  return t;
}

TEST(ZooYolov8, DecodesFlatChannelsFirstAndRows) {
  for (bool channels_first : {true, false}) {
    Tensor t = flat_output(channels_first, 84, 37, 100.5f, 60.25f, 40.0f, 22.5f, 17, 0.83f);
    AnchorFreeFlatLayout layout{channels_first, 80, 0};
    Result<Candidates> c = decode_anchor_free_flat(named("output0", t), layout, {});
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_EQ(c->boxes.size(), 1u) << channels_first;
    expect_box(c->boxes[0], 80.5f, 49.0f, 120.5f, 71.5f);
    EXPECT_FLOAT_EQ(c->boxes[0].score, 0.83f);
    EXPECT_EQ(c->boxes[0].class_id, 17);
    EXPECT_TRUE(c->boxes[0].extra.empty());
    EXPECT_EQ(c->positions, 84);
  }
}

TEST(ZooYolov8, FlatClassTiesAndMultiLabel) {
  Tensor t = flat_output(true, 84, 9, 50, 50, 10, 10, 30, 0.6f);
  at(t, {0, 4 + 12, 9}) = 0.6f;  // the same score for class 12: the lower class wins
  at(t, {0, 4 + 50, 9}) = 0.3f;
  Result<Candidates> c = decode_anchor_free_flat(named("output0", t), {true, 80, 0}, {});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  EXPECT_EQ(c->boxes[0].class_id, 12);
  DecodeOptions o;
  o.multi_label = true;
  c = decode_anchor_free_flat(named("output0", t), {true, 80, 0}, o);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 3u);  // classes 12, 30, 50, one box each
  EXPECT_EQ(c->boxes[0].class_id, 12);
  EXPECT_EQ(c->boxes[1].class_id, 30);
  EXPECT_EQ(c->boxes[2].class_id, 50);
  EXPECT_FLOAT_EQ(c->boxes[2].score, 0.3f);
  EXPECT_EQ(c->passed, 1);  // one prediction, however many labels
}

TEST(ZooYolov8, FlatLogitsAreSigmoidedWithAWarning) {
  Tensor t = flat_output(true, 84, 5, 50, 50, 10, 10, 2, logit(0.6f));
  for (int i = 0; i < 84; ++i) {
    for (int c = 4; c < 84; ++c) {
      if (i != 5 || c != 6) at(t, {0, c, i}) = -7.0f;
    }
  }
  Result<Candidates> c = decode_anchor_free_flat(named("output0", t), {true, 80, 0}, {});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  EXPECT_NEAR(c->boxes[0].score, 0.6f, 1e-5);
  EXPECT_TRUE(has_warning(c->warnings, "scores_not_sigmoided"));
}

TEST(ZooYolov8, AcceptsHalfPrecisionOutputs) {
  Tensor f = flat_output(true, 84, 3, 64, 32, 16, 8, 1, 0.75f);
  Tensor h = Tensor::zeros(DType::kFloat16, f.shape());
  for (int64_t i = 0; i < f.numel(); ++i) h.data<Half>()[i].bits = float_to_half(f.data<float>()[i]);
  Result<Candidates> c = decode_anchor_free_flat(named("output0", h), {true, 80, 0}, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], 56, 28, 72, 36);  // exact in half precision
}

TEST(ZooYolov8, FlatRejectsWrongChannelCount) {
  Result<Candidates> c = decode_anchor_free_flat(named("output0", filled({1, 85, 84})), {true, 80, 0}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("output0"), std::string::npos);
}

// --- DFL split head ------------------------------------------------------------------------

// Writes logits for distance d (in cells) as two adjacent bins whose expectation is exactly d.
void write_distance(Tensor& box, int side, int bins, int y, int x, float d) {
  for (int j = 0; j < bins; ++j) at(box, {0, side * bins + j, y, x}) = -60.0f;  // e^-60: nothing
  const int k = static_cast<int>(std::floor(d));
  const float frac = d - static_cast<float>(k);
  at(box, {0, side * bins + k, y, x}) = std::log(1.0f - frac);
  if (frac > 0) at(box, {0, side * bins + k + 1, y, x}) = std::log(frac);
}

struct SplitHead {
  std::vector<NamedTensor> outputs;  // box_8, cls_8, score_sum_8, box_16, ...
  std::vector<DflScaleOutputs> scales() const {
    std::vector<DflScaleOutputs> s;
    for (int k = 0; k < 3; ++k) {
      s.push_back({8 << k, &outputs[3 * k], &outputs[3 * k + 1], &outputs[3 * k + 2]});
    }
    return s;
  }
};

// 128x128 input; the object is in cell (2, 1) of stride 32 with distances l, t, r, b (cells).
constexpr float kL = 1.3f, kT = 0.75f, kR = 2.6f, kB = 3.25f;
SplitHead split_head(int bins, float cls_score, float score_sum) {
  SplitHead h;
  for (int stride : {8, 16, 32}) {
    const int cells = 128 / stride;
    h.outputs.push_back(named("box_" + std::to_string(stride), filled({1, 4 * bins, cells, cells})));
    h.outputs.push_back(named("cls_" + std::to_string(stride), filled({1, 80, cells, cells})));
    h.outputs.push_back(named("score_sum_" + std::to_string(stride), filled({1, 1, cells, cells})));
  }
  Tensor& box = h.outputs[6].tensor;
  write_distance(box, 0, bins, 1, 2, kL);
  write_distance(box, 1, bins, 1, 2, kT);
  write_distance(box, 2, bins, 1, 2, kR);
  write_distance(box, 3, bins, 1, 2, kB);
  at(h.outputs[7].tensor, {0, 42, 1, 2}) = cls_score;
  at(h.outputs[8].tensor, {0, 0, 1, 2}) = score_sum;
  return h;
}

TEST(ZooYolov8, DflExpectationOfKnownDistributions) {
  const float uniform[4] = {0, 0, 0, 0};
  EXPECT_NEAR(dfl_expectation(uniform, 4, 1), 1.5f, 1e-6);
  const float peaked[3] = {-100, 50, -100};
  EXPECT_NEAR(dfl_expectation(peaked, 3, 1), 1.0f, 1e-6);
  const float strided[6] = {0, 9, 0, 9, std::log(3.0f), 9};  // step 2: weights 1, 1, 3 -> (0 + 1 + 2*3) / 5
  EXPECT_NEAR(dfl_expectation(strided, 3, 2), 7.0f / 5.0f, 1e-6);
}

TEST(ZooYolov8, DecodesDflSplitHead) {
  SplitHead h = split_head(16, 0.88f, 0.9f);
  Result<Candidates> c = decode_dfl_split(h.scales(), {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->boxes.size(), 1u);
  // Anchor point (2.5, 1.5) cells; corners = (anchor -/+ distance) x 32.
  expect_box(c->boxes[0], (2.5f - kL) * 32, (1.5f - kT) * 32, (2.5f + kR) * 32, (1.5f + kB) * 32);
  EXPECT_FLOAT_EQ(c->boxes[0].score, 0.88f);
  EXPECT_EQ(c->boxes[0].class_id, 42);
  EXPECT_EQ(c->positions, 256 + 64 + 16);
}

TEST(ZooYolov8, ScoreSumSkipsCellsBelowThresholdAndIsOptional) {
  // score_sum below the threshold: the cell is not even looked at (the NPU zoo's fast path).
  SplitHead h = split_head(16, 0.88f, 0.1f);
  Result<Candidates> c = decode_dfl_split(h.scales(), {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->boxes.empty());
  // Without score_sum every cell is decoded.
  std::vector<DflScaleOutputs> no_sum = h.scales();
  for (DflScaleOutputs& s : no_sum) s.score_sum = nullptr;
  c = decode_dfl_split(no_sum, {});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], (2.5f - kL) * 32, (1.5f - kT) * 32, (2.5f + kR) * 32, (1.5f + kB) * 32);
}

TEST(ZooYolov8, DflClassLogitsAreSigmoidedAndScoreSumIgnored) {
  SplitHead h = split_head(16, logit(0.7f), 0.0f);  // score_sum of logits bounds nothing
  for (int k = 0; k < 3; ++k) {
    Tensor& cls = h.outputs[3 * k + 1].tensor;
    for (int64_t i = 0; i < cls.numel(); ++i) {
      if (cls.data<float>()[i] == 0.0f) cls.data<float>()[i] = -8.0f;
    }
  }
  Result<Candidates> c = decode_dfl_split(h.scales(), {});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  EXPECT_NEAR(c->boxes[0].score, 0.7f, 1e-5);
  EXPECT_TRUE(has_warning(c->warnings, "scores_not_sigmoided"));
}

TEST(ZooYolov8, PpyoloeSeventeenBinsThroughTheFrontDoor) {
  SplitHead h = split_head(17, 0.66f, 0.9f);
  Result<ModelLayout> layout = detect_layout({output_specs(h.outputs), 128, 128, "", ""});
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->family, Family::kPpyoloe);
  EXPECT_EQ(layout->dfl_bins, 17);
  Result<DecodeResult> r = decode_detections(h.outputs, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_box(r->detections[0], (2.5f - kL) * 32, (1.5f - kT) * 32, (2.5f + kR) * 32, (1.5f + kB) * 32);
}

TEST(ZooYolov8, DflRejectsMismatchedScales) {
  SplitHead h = split_head(16, 0.5f, 0.9f);
  h.outputs[4] = named("cls_16", filled({1, 80, 7, 8}));  // spatial size differs from box_16
  Result<Candidates> c = decode_dfl_split(h.scales(), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("cls_16"), std::string::npos);
  h = split_head(16, 0.5f, 0.9f);
  h.outputs[7] = named("cls_32", filled({1, 20, 4, 4}));  // 20 classes on one scale
  EXPECT_FALSE(decode_dfl_split(h.scales(), {}).ok());
}

}  // namespace
}  // namespace ez::zoo
