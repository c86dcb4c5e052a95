// Diagnostics: each check fires on the mistake it is meant to catch and stays quiet otherwise,
// alone and through decode_detections.
#include <cmath>
#include <limits>
#include <vector>

#include "zoo/common/diagnostics.h"
#include "zoo/common/scores.h"
#include "zoo/detector.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::box;
using testing::filled;
using testing::has_warning;
using testing::named;

ValueRange range_of(std::initializer_list<float> values) {
  ValueRange r;
  for (float v : values) r.add(v);
  return r;
}

std::vector<Detection> boxes_of_size(float w, float h, int count = 10) {
  std::vector<Detection> out;
  for (int i = 0; i < count; ++i) out.push_back(box(10.0f * i, 0, 10.0f * i + w, h, 0.5f));
  return out;
}

TEST(ZooDiagnostics, LogitsAreToldFromProbabilities) {
  EXPECT_FALSE(looks_like_logits(range_of({0.0f, 0.3f, 1.0f})));
  EXPECT_FALSE(looks_like_logits(range_of({0.0f, 1.005f})));  // int8/half rounding overshoot
  EXPECT_FALSE(looks_like_logits(ValueRange{}));              // nothing seen
  EXPECT_TRUE(looks_like_logits(range_of({-3.0f, 0.5f})));
  EXPECT_TRUE(looks_like_logits(range_of({0.2f, 4.0f})));
  Warning w = logits_warning("class scores", range_of({-3.0f, 4.0f}));
  EXPECT_EQ(w.code, "scores_not_sigmoided");
  EXPECT_NE(w.message.find("-3 to 4"), std::string::npos) << w.message;
}

TEST(ZooDiagnostics, BoxSizes) {
  EXPECT_TRUE(check_box_sizes(boxes_of_size(40, 60), 640, 640).empty());
  EXPECT_TRUE(check_box_sizes(boxes_of_size(600, 620), 640, 640).empty());  // big real objects are fine
  std::vector<Warning> huge = check_box_sizes(boxes_of_size(4000, 300), 640, 640);
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_EQ(huge[0].code, "boxes_too_large");
  std::vector<Warning> tiny = check_box_sizes(boxes_of_size(0.5f, 1.0f), 640, 640);
  ASSERT_EQ(tiny.size(), 1u);
  EXPECT_EQ(tiny[0].code, "boxes_too_small");
  EXPECT_TRUE(check_box_sizes(boxes_of_size(4000, 300, 4), 640, 640).empty());  // too few to judge
  EXPECT_TRUE(check_box_sizes(boxes_of_size(4000, 300), 0, 0).empty());         // input size unknown
}

TEST(ZooDiagnostics, AnchorUnits) {
  const std::vector<int> strides = {8, 16, 32};
  std::vector<float> pixels = {10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119, 116, 90, 156, 198, 373, 326};
  EXPECT_TRUE(check_anchor_units(pixels, strides).empty());
  std::vector<float> grid = {1.25f, 1.625f, 2, 3.75f, 4.125f, 2.875f, 1.875f, 3.8125f, 3.875f,
                             2.8125f, 3.6875f, 7.4375f, 3.625f, 2.8125f, 4.875f, 6.1875f, 11.65625f, 10.1875f};
  std::vector<Warning> w = check_anchor_units(grid, strides);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code, "anchors_in_grid_units");
}

TEST(ZooDiagnostics, CandidateFlood) {
  EXPECT_TRUE(check_candidate_flood(2520, 8400, 0.25f).empty());  // exactly 30%
  std::vector<Warning> w = check_candidate_flood(6000, 8400, 0.001f);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code, "candidate_flood");
  EXPECT_NE(w[0].message.find("6000 of 8400"), std::string::npos) << w[0].message;
  EXPECT_NE(w[0].message.find("0.25 for display"), std::string::npos) << w[0].message;
  // At a display threshold the advice is about the input, not the threshold.
  w = check_candidate_flood(3618, 8400, 0.25f);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("normalised"), std::string::npos) << w[0].message;
  EXPECT_TRUE(check_candidate_flood(0, 0, 0.25f).empty());
}

TEST(ZooDiagnostics, ScoresAllZero) {
  EXPECT_EQ(check_scores_all_zero(0.0f).size(), 1u);
  EXPECT_TRUE(check_scores_all_zero(1e-6f).empty());
}

// The same checks through the front door, on whole outputs.
struct Flat {
  std::vector<NamedTensor> outputs;
  ModelLayout layout;
};
Flat flat_v8(Tensor t) {
  Flat f{{named("output0", std::move(t))}, {}};
  f.layout = detect_layout({output_specs(f.outputs), 64, 64, "", ""}).value();
  return f;
}

TEST(ZooDiagnostics, AllZeroOutputWarnsThroughTheFrontDoor) {
  Flat f = flat_v8(filled({1, 84, 84}));
  Result<DecodeResult> r = decode_detections(f.outputs, f.layout, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->detections.empty());
  EXPECT_TRUE(has_warning(r->warnings, "scores_all_zero"));
  EXPECT_FALSE(has_warning(r->warnings, "candidate_flood"));
}

TEST(ZooDiagnostics, FloodAndBoxSizesThroughTheFrontDoor) {
  // Every prediction: a 20x20 box with class 0 at 0.01.
  Tensor t = filled({1, 84, 84});
  for (int i = 0; i < 84; ++i) {
    at(t, {0, 0, i}) = at(t, {0, 1, i}) = 32;
    at(t, {0, 2, i}) = at(t, {0, 3, i}) = 20;
    at(t, {0, 4, i}) = 0.01f;
  }
  Flat f = flat_v8(t);
  DecodeOptions o;
  Result<DecodeResult> r = decode_detections(f.outputs, f.layout, o);  // 0.25: nothing passes, all quiet
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->warnings.empty());
  o.conf_threshold = 0.001f;
  r = decode_detections(f.outputs, f.layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(has_warning(r->warnings, "candidate_flood"));
  EXPECT_FALSE(has_warning(r->warnings, "boxes_too_large"));
  EXPECT_EQ(r->detections.size(), 1u);  // identical boxes: NMS keeps one
  // The same predictions with boxes ten times the input.
  for (int i = 0; i < 84; ++i) at(f.outputs[0].tensor, {0, 2, i}) = at(f.outputs[0].tensor, {0, 3, i}) = 640;
  r = decode_detections(f.outputs, f.layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(has_warning(r->warnings, "boxes_too_large"));
}

TEST(ZooDiagnostics, YoloxDecodedOutputReadAsRawGivesHugeBoxes) {
  // Decoded pixel boxes decoded again: exp(20) x stride. The mistake --yolox-boxes raw would make.
  Tensor t = filled({1, 84, 85});
  for (int i = 0; i < 84; ++i) {
    at(t, {0, i, 0}) = at(t, {0, i, 1}) = 32;
    at(t, {0, i, 2}) = at(t, {0, i, 3}) = 20;
    at(t, {0, i, 4}) = 0.9f;
    at(t, {0, i, 5}) = 0.9f;
  }
  std::vector<NamedTensor> outputs = {named("output", t)};
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), 64, 64, "yolox", ""});
  ASSERT_TRUE(layout.ok());
  DecodeOptions o;
  o.yolox_boxes = DecodeOptions::BoxEncoding::kRaw;
  Result<DecodeResult> r = decode_detections(outputs, *layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(has_warning(r->warnings, "boxes_too_large"));
  o.yolox_boxes = DecodeOptions::BoxEncoding::kAuto;  // detected as decoded: sane boxes
  r = decode_detections(outputs, *layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(has_warning(r->warnings, "boxes_too_large"));
  EXPECT_FALSE(has_warning(r->warnings, "boxes_too_small"));
}

TEST(ZooDiagnostics, GridUnitAnchorsWarnThroughTheSplitDecoder) {
  std::vector<NamedTensor> heads = {named("o0", filled({1, 255, 8, 8})), named("o1", filled({1, 255, 4, 4})),
                                    named("o2", filled({1, 255, 2, 2}))};
  Result<ModelLayout> layout = detect_layout({output_specs(heads), 64, 64, "", ""});
  ASSERT_TRUE(layout.ok());
  DecodeOptions o;
  o.anchors = {1.25f, 1.625f, 2, 3.75f, 4.125f, 2.875f, 1.875f, 3.8125f, 3.875f,
               2.8125f, 3.6875f, 7.4375f, 3.625f, 2.8125f, 4.875f, 6.1875f, 11.65625f, 10.1875f};
  Result<DecodeResult> r = decode_detections(heads, *layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(has_warning(r->warnings, "anchors_in_grid_units"));
  o.anchors.clear();  // the defaults, in pixels
  r = decode_detections(heads, *layout, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(has_warning(r->warnings, "anchors_in_grid_units"));
}

TEST(ZooDiagnostics, ValueRangeOfContiguousValuesEqualsOneByOne) {
  // The laned fast path must give the scalar path's min/max, NaNs ignored, for any length.
  std::vector<float> v;
  for (int i = 0; i < 203; ++i) v.push_back(std::sin(0.37f * i) * (1 + i % 7));
  v[13] = std::numeric_limits<float>::quiet_NaN();
  v[150] = -40.0f;
  v[201] = 55.0f;
  for (long long n : {0LL, 1LL, 7LL, 8LL, 9LL, 64LL, 149LL, 151LL, 203LL}) {
    ValueRange laned, scalar;
    laned.add(v.data(), n);
    for (long long i = 0; i < n; ++i) scalar.add(v[i]);
    EXPECT_EQ(laned.min, scalar.min) << n;
    EXPECT_EQ(laned.max, scalar.max) << n;
  }
}

}  // namespace
}  // namespace ez::zoo
