// YOLOv8-seg: mask coefficients ride along as extras; masks = coefficients . prototypes,
// bilinear upsampling (align_corners = false), cropped to the box, thresholded at sigmoid 0.5.
#include <cmath>

#include "zoo/detector.h"
#include "zoo/seg/instance_mask.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

using testing::at;
using testing::expect_box;
using testing::filled;
using testing::named;

// 64x64 input, 84 predictions, 80 classes + 32 coefficients; prototypes at input / 4.
std::vector<NamedTensor> seg_outputs() {
  Tensor pred = filled({1, 4 + 80 + 32, 84});
  at(pred, {0, 0, 10}) = 35.15f;  // cx, cy, w, h of box (20.3, 10) - (50, 40.6)
  at(pred, {0, 1, 10}) = 25.3f;
  at(pred, {0, 2, 10}) = 29.7f;
  at(pred, {0, 3, 10}) = 30.6f;
  at(pred, {0, 4 + 0, 10}) = 0.9f;
  at(pred, {0, 84 + 0, 10}) = 2.0f;  // coefficient of prototype 0
  at(pred, {0, 84 + 5, 10}) = 0.5f;  // prototype 5 is zero: contributes nothing
  Tensor protos = filled({1, 32, 16, 16});
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) at(protos, {0, 0, y, x}) = x < 8 ? 1.0f : -1.0f;  // left half is object
  }
  return {named("output0", pred), named("output1", protos)};
}

TEST(ZooSeg, LayoutAndCoefficientsCarriedThroughNms) {
  std::vector<NamedTensor> outputs = seg_outputs();
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), 64, 64, "", ""});
  ASSERT_TRUE(layout.ok()) << layout.status().to_string();
  EXPECT_EQ(layout->task, Task::kSegment);
  EXPECT_EQ(layout->num_classes, 80);
  EXPECT_EQ(layout->num_mask_coeffs, 32);
  EXPECT_EQ(layout->extra_output, "output1");
  Result<DecodeResult> r = decode_detections(outputs, *layout, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->detections.size(), 1u);
  expect_box(r->detections[0], 20.3f, 10.0f, 50.0f, 40.6f);
  ASSERT_EQ(r->detections[0].extra.size(), 32u);
  EXPECT_EQ(r->detections[0].extra[0], 2.0f);
  EXPECT_EQ(r->detections[0].extra[5], 0.5f);
}

TEST(ZooSeg, MaskIsUpsampledAndCroppedToTheBox) {
  std::vector<NamedTensor> outputs = seg_outputs();
  Result<ModelLayout> layout = detect_layout({output_specs(outputs), 64, 64, "", ""});
  ASSERT_TRUE(layout.ok());
  Result<DecodeResult> r = decode_detections(outputs, *layout, {});
  ASSERT_TRUE(r.ok());
  Result<std::vector<InstanceMask>> masks = decode_masks(r->detections, outputs[1], 64, 64);
  ASSERT_TRUE(masks.ok()) << masks.status().to_string();
  ASSERT_EQ(masks->size(), 1u);
  const InstanceMask& m = (*masks)[0];
  // Region: pixels 21..49 x 10..40 (x1 <= px < x2).
  EXPECT_EQ(m.x, 21);
  EXPECT_EQ(m.y, 10);
  EXPECT_EQ(m.width, 29);
  EXPECT_EQ(m.height, 31);
  // Pixel 31 samples prototype x = 7.375 (logit 2 x 0.25 > 0); pixel 32 samples 7.625 (< 0).
  EXPECT_TRUE(m.at(21, 10));
  EXPECT_TRUE(m.at(31, 40));
  EXPECT_FALSE(m.at(32, 20));
  EXPECT_FALSE(m.at(20, 20));  // left of the box: cropped although the prototype is positive there
  EXPECT_FALSE(m.at(31, 41));  // below the box
  EXPECT_EQ(m.area(), 11 * 31);
}

TEST(ZooSeg, MaskErrorsAndEmptyBoxes) {
  std::vector<NamedTensor> outputs = seg_outputs();
  Detection wrong = testing::box(0, 0, 10, 10, 0.9f);
  wrong.extra = {1, 2, 3};
  EXPECT_FALSE(decode_masks({wrong}, outputs[1], 64, 64).ok());
  Detection outside = testing::box(100, 100, 120, 120, 0.9f);
  outside.extra.assign(32, 1.0f);
  Result<std::vector<InstanceMask>> m = decode_masks({outside}, outputs[1], 64, 64);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].area(), 0);
  Detection broken = testing::box(std::nanf(""), -1e30f, 1e30f, std::nanf(""), 0.9f);  // a broken model's box
  broken.extra.assign(32, 1.0f);
  m = decode_masks({broken}, outputs[1], 64, 64);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].height, 0);
  EXPECT_FALSE(decode_masks({outside}, named("p", filled({1, 32, 0, 0})), 64, 64).ok());
}

}  // namespace
}  // namespace ez::zoo
