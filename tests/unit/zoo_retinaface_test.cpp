// RetinaFace: priors, box/landmark deltas with variances 0.1/0.2 and the 2-way softmax, in the
// one-output [1, N, 16] layout and the three-output layout, built from a known face.
#include <cmath>

#include "zoo/common/scores.h"
#include "zoo/detector.h"
#include "zoo/retinaface/retinaface_decoder.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::named;

constexpr int kInput = 64;      // 8x8 + 4x4 + 2x2 cells, 2 priors each = 168
constexpr int kPrior = 2 * 20 + 1;  // cell (4, 2) of stride 8, the 32-pixel prior
constexpr float kCx = 37.0f, kCy = 22.5f, kW = 28.0f, kH = 35.0f;
const float kMarks[10] = {30, 15, 44, 15, 37, 22, 32, 30, 42, 30};

// Fills prior kPrior's deltas (inverting the decode) into rows with the given column offsets.
void write_face(float* loc, float* conf, float* marks, int64_t loc_row, int64_t conf_row, int64_t marks_row) {
  const std::vector<float> priors = retinaface_priors(kInput, kInput);
  const float* p = priors.data() + kPrior * 4;
  float* l = loc + kPrior * loc_row;
  l[0] = (kCx / kInput - p[0]) / (0.1f * p[2]);
  l[1] = (kCy / kInput - p[1]) / (0.1f * p[3]);
  l[2] = std::log(kW / kInput / p[2]) / 0.2f;
  l[3] = std::log(kH / kInput / p[3]) / 0.2f;
  float* c = conf + kPrior * conf_row;
  c[0] = 0.0f;
  c[1] = logit(0.97f);  // softmax(0, logit(p))[1] = p
  float* m = marks + kPrior * marks_row;
  for (int k = 0; k < 10; k += 2) {
    m[k] = (kMarks[k] / kInput - p[0]) / (0.1f * p[2]);
    m[k + 1] = (kMarks[k + 1] / kInput - p[1]) / (0.1f * p[3]);
  }
}

void expect_face(const Detection& d) {
  expect_box(d, kCx - kW / 2, kCy - kH / 2, kCx + kW / 2, kCy + kH / 2);
  EXPECT_NEAR(d.score, 0.97f, 1e-5);
  ASSERT_EQ(d.extra.size(), 10u);
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(d.extra[k], kMarks[k], 1e-3) << k;
}

TEST(ZooRetinaFace, PriorsMatchTheReference) {
  EXPECT_EQ(retinaface_prior_count(640, 640), 16800);  // retinaface_mobile0.25.onnx
  std::vector<float> p = retinaface_priors(kInput, kInput);
  ASSERT_EQ(p.size(), 168u * 4);
  EXPECT_FLOAT_EQ(p[0], 4.0f / 64);   // first cell centre
  EXPECT_FLOAT_EQ(p[2], 16.0f / 64);  // min size 16
  EXPECT_FLOAT_EQ(p[6], 32.0f / 64);  // then 32, same cell
  EXPECT_FLOAT_EQ(p[kPrior * 4], 36.0f / 64);
  EXPECT_FLOAT_EQ(p[kPrior * 4 + 1], 20.0f / 64);
}

TEST(ZooRetinaFace, DecodesCombinedOutput) {
  Tensor t = filled({1, 168, 16});
  for (int i = 0; i < 168; ++i) at(t, {0, i, 4}) = 5.0f;  // background wins everywhere else
  float* base = t.data<float>();
  write_face(base, base + 4, base + 6, 16, 16, 16);
  std::vector<NamedTensor> outputs = {named("output0", t)};
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), kInput, kInput, "", ""});
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->family, Family::kRetinaFace);
  EXPECT_EQ(default_labels(*layout), (std::vector<std::string>{"face"}));
  EXPECT_EQ(extra_points(*layout), ExtraPoints::kLandmarks);
  DecodeOptions o;
  o.conf_threshold = 0.5f;
  Result<DecodeResult> r = decode_detections(outputs, *layout, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_face(r->detections[0]);
}

TEST(ZooRetinaFace, DecodesThreeOutputs) {
  Tensor loc = filled({1, 168, 4}), conf = filled({1, 168, 2}), marks = filled({1, 168, 10});
  for (int i = 0; i < 168; ++i) at(conf, {0, i, 0}) = 5.0f;
  write_face(loc.data<float>(), conf.data<float>(), marks.data<float>(), 4, 2, 10);
  std::vector<NamedTensor> outputs = {named("loc", loc), named("conf", conf), named("landms", marks)};
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), kInput, kInput, "", ""});
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->head, Head::kRetinaFace);
  EXPECT_EQ(layout->extra_output, "landms");
  Result<DecodeResult> r = decode_detections(outputs, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_face(r->detections[0]);
}

TEST(ZooRetinaFace, RejectsPriorCountMismatch) {
  RetinaFaceOutputs r;
  NamedTensor t = named("output0", filled({1, 168, 16}));
  r.combined = &t;
  EXPECT_FALSE(decode_retinaface(r, 640, 640, {}).ok());
  EXPECT_FALSE(decode_retinaface(RetinaFaceOutputs{}, kInput, kInput, {}).ok());
}

}  // namespace
}  // namespace ez::zoo
