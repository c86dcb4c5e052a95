// YOLOv5/v7: the decoded framework export [1, 3 x cells, 85] and the NPU split head 3 x
// [1, 255, H, W] (sigmoided fields: xy = (v*2 - 0.5 + grid) * stride, wh = (v*2)^2 * anchor),
// built from a known box by inverting the decode.
#include <cmath>
#include <cstdlib>

#include "zoo/common/scores.h"
#include "zoo/detector.h"
#include "zoo/yolov5/anchors.h"
#include "zoo/yolov5/yolov5_decoder.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::has_warning;
using testing::named;

// The known object: class 5, centre (70.2, 50.9), size 80 x 30 in a 128x128 input, predicted by
// anchor 1 of the stride-16 scale in cell (4, 3).
constexpr float kCx = 70.2f, kCy = 50.9f, kW = 80.0f, kH = 30.0f;
constexpr int kAnchor = 1, kGx = 4, kGy = 3, kClass = 5;

// Split-head tensors for a 128x128 input (16x16, 8x8, 4x4 cells), every field `background`,
// with the known object written into the stride-16 head for anchors (aw, ah).
std::vector<NamedTensor> split_heads(float aw, float ah, float background = 0.0f) {
  std::vector<NamedTensor> heads = {named("output0", filled({1, 255, 16, 16}, background)),
                                    named("output1", filled({1, 255, 8, 8}, background)),
                                    named("output2", filled({1, 255, 4, 4}, background))};
  Tensor& t = heads[1].tensor;
  auto field = [&](int f) -> float& { return at(t, {0, kAnchor * 85 + f, kGy, kGx}); };
  field(0) = (kCx / 16 - kGx + 0.5f) / 2;  // inverse of (v*2 - 0.5 + gx) * stride
  field(1) = (kCy / 16 - kGy + 0.5f) / 2;
  field(2) = std::sqrt(kW / aw) / 2;  // inverse of (v*2)^2 * anchor
  field(3) = std::sqrt(kH / ah) / 2;
  field(4) = 0.9f;
  field(5 + kClass) = 0.7f;
  return heads;
}

std::vector<AnchorHeadOutput> as_heads(const std::vector<NamedTensor>& t) {
  return {{&t[0], 8}, {&t[1], 16}, {&t[2], 32}};
}

std::string data_dir() {
  const char* env = std::getenv("EDGEZOO_DATA");
  return env ? env : EDGEZOO_DATA_DEFAULT;
}

TEST(ZooYolov5, DecodesFrameworkExportRows) {
  Tensor t = filled({1, 252, 85});  // 64x64 input: 3 x (64 + 16 + 4) rows
  at(t, {0, 100, 0}) = 30.5f;
  at(t, {0, 100, 1}) = 20.25f;
  at(t, {0, 100, 2}) = 12.0f;
  at(t, {0, 100, 3}) = 9.0f;
  at(t, {0, 100, 4}) = 0.8f;
  at(t, {0, 100, 5 + 2}) = 0.5f;
  Result<Candidates> c = decode_yolov5_rows(named("output0", t), {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], 24.5f, 15.75f, 36.5f, 24.75f);
  EXPECT_NEAR(c->boxes[0].score, 0.4f, 1e-6);  // obj x class
  EXPECT_EQ(c->boxes[0].class_id, 2);
  EXPECT_EQ(c->positions, 252);
}

TEST(ZooYolov5, DecodesSplitHeadWithDefaultAnchors) {
  const std::vector<float>& anchors = default_yolov5_anchors();
  const float aw = anchors[(3 + kAnchor) * 2], ah = anchors[(3 + kAnchor) * 2 + 1];  // (62, 45)
  std::vector<NamedTensor> t = split_heads(aw, ah);
  Result<Candidates> c = decode_yolov5_split(as_heads(t), anchors, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
  EXPECT_NEAR(c->boxes[0].score, 0.63f, 1e-6);
  EXPECT_EQ(c->boxes[0].class_id, kClass);
  EXPECT_EQ(c->positions, 3 * (256 + 64 + 16));
  EXPECT_TRUE(c->warnings.empty());
}

TEST(ZooYolov5, SplitHeadWithoutSigmoidIsSigmoidedWithAWarning) {
  const std::vector<float>& anchors = default_yolov5_anchors();
  std::vector<NamedTensor> t = split_heads(anchors[8], anchors[9], 1e-4f);
  for (NamedTensor& h : t) {  // the same probabilities as logits, as an export without Sigmoid
    float* p = h.tensor.data<float>();
    for (int64_t i = 0; i < h.tensor.numel(); ++i) p[i] = logit(p[i]);
  }
  Result<Candidates> c = decode_yolov5_split(as_heads(t), anchors, {});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->boxes.size(), 1u);
  expect_box(c->boxes[0], kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
  EXPECT_NEAR(c->boxes[0].score, 0.63f, 1e-5);
  EXPECT_TRUE(has_warning(c->warnings, "scores_not_sigmoided"));
}

TEST(ZooYolov5, Yolov7FamilyUsesYolov7AnchorsThroughTheFrontDoor) {
  const std::vector<float>& v7 = default_yolov7_anchors();
  std::vector<NamedTensor> t = split_heads(v7[8], v7[9]);  // stride 16, anchor 1: (76, 55)
  LayoutQuery q{output_specs(t), 128, 128, "yolov7", ""};
  Result<ModelLayout> layout = detect_layout(q);
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->family, Family::kYolov7);
  Result<DecodeResult> r = decode_detections(t, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_box(r->detections[0], kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
  // The same tensors read with YOLOv5's anchors give another size: the anchors really matter.
  layout->family = Family::kYolov5;
  r = decode_detections(t, *layout, {});
  ASSERT_TRUE(r.ok());
  EXPECT_GT(std::fabs(r->detections[0].width() - kW), 1.0f);
}

TEST(ZooYolov5, AnchorsFromTheDataFileEqualTheDefaults) {
  Result<std::vector<float>> a = load_anchors(data_dir() + "/models/anchors_yolov5.txt");
  if (!a.ok()) GTEST_SKIP() << "no test data: " << a.status().to_string();
  EXPECT_EQ(a.value(), default_yolov5_anchors());
}

TEST(ZooYolov5, ParsesAndRejectsAnchorText) {
  Result<std::vector<float>> a = parse_anchors("# w,h\n10,13, 16 30\n33\t23\n", "mem");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a.value(), (std::vector<float>{10, 13, 16, 30, 33, 23}));
  EXPECT_FALSE(parse_anchors("10 13 16", "mem").ok());       // odd count
  EXPECT_FALSE(parse_anchors("10 abc", "mem").ok());         // not a number
  EXPECT_FALSE(parse_anchors("10 -13", "mem").ok());         // negative
  EXPECT_FALSE(parse_anchors("", "mem").ok());
  EXPECT_FALSE(load_anchors("/nonexistent/anchors.txt").ok());
}

TEST(ZooYolov5, RejectsInconsistentHeads) {
  std::vector<NamedTensor> t = split_heads(62, 45);
  EXPECT_FALSE(decode_yolov5_split(as_heads(t), {10, 13, 16}, {}).ok());  // anchors not in pairs per scale
  t[2] = named("output2", filled({1, 3 * 86, 4, 4}));                   // 81 classes on one scale
  Result<Candidates> c = decode_yolov5_split(as_heads(t), default_yolov5_anchors(), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("classes"), std::string::npos);
  t[2] = named("output2", filled({1, 100, 4, 4}));  // not a multiple of 3 anchors
  EXPECT_FALSE(decode_yolov5_split(as_heads(t), default_yolov5_anchors(), {}).ok());
}

}  // namespace
}  // namespace ez::zoo
