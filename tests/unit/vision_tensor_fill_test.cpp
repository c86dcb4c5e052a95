// The fused image -> float tensor copy: layout, channel order and normalisation.
#include <gtest/gtest.h>

#include <vector>

#include "vision/tensor_fill.h"
#include "vision_test_util.h"

namespace ez::vision {
namespace {

// 2x2 RGB: (0,0)=(0,1,2) (1,0)=(10,11,12) (0,1)=(100,101,102) (1,1)=(253,254,255)
Image tiny() {
  Image img(2, 2, 3);
  img.pixels = {0, 1, 2, 10, 11, 12, 100, 101, 102, 253, 254, 255};
  return img;
}

TEST(VisionTensorFill, NchwRgbRawValues) {
  TensorFillParams p;
  p.scale = 1;
  std::vector<float> t(12, -1);
  ASSERT_TRUE(write_input_tensor(tiny(), t.data(), p).ok());
  EXPECT_EQ(t, (std::vector<float>{0, 10, 100, 253, 1, 11, 101, 254, 2, 12, 102, 255}));
}

TEST(VisionTensorFill, NchwBgrSwapsPlanes) {
  TensorFillParams p;
  p.scale = 1;
  p.order = ChannelOrder::kBGR;
  std::vector<float> t(12);
  ASSERT_TRUE(write_input_tensor(tiny(), t.data(), p).ok());
  EXPECT_EQ(t, (std::vector<float>{2, 12, 102, 255, 1, 11, 101, 254, 0, 10, 100, 253}));
}

TEST(VisionTensorFill, NhwcBothOrders) {
  TensorFillParams p;
  p.scale = 1;
  p.layout = TensorLayout::kNHWC;
  std::vector<float> t(12);
  ASSERT_TRUE(write_input_tensor(tiny(), t.data(), p).ok());
  EXPECT_EQ(t, (std::vector<float>{0, 1, 2, 10, 11, 12, 100, 101, 102, 253, 254, 255}));
  p.order = ChannelOrder::kBGR;
  ASSERT_TRUE(write_input_tensor(tiny(), t.data(), p).ok());
  EXPECT_EQ(t, (std::vector<float>{2, 1, 0, 12, 11, 10, 102, 101, 100, 255, 254, 253}));
}

TEST(VisionTensorFill, ThreadedEqualsOneThread) {
  // Pixel ranges split between threads (grain 16384 pixels, so a 200x150 image takes two).
  const ThreadPool two(2);
  for (int ch : {1, 3})
    for (TensorLayout layout : {TensorLayout::kNCHW, TensorLayout::kNHWC}) {
      const Image img = test::pattern_image(200, 150, ch);
      TensorFillParams p;
      p.layout = layout;
      p.order = ChannelOrder::kBGR;
      p.mean[0] = 0.4f, p.std[2] = 0.3f;
      std::vector<float> one(200 * 150 * 3, -1), threaded(200 * 150 * 3, -2);
      ASSERT_TRUE(write_input_tensor(img, one.data(), p).ok());
      ASSERT_TRUE(write_input_tensor(img, threaded.data(), p, &two).ok());
      one.resize(200 * 150 * ch), threaded.resize(200 * 150 * ch);
      EXPECT_EQ(threaded, one) << ch << " channels";
    }
}

TEST(VisionTensorFill, NormalisationIsExactlyTheFormula) {
  // ImageNet: value = (pix / 255 - mean) / std, per tensor channel.
  TensorFillParams p;
  p.scale = 1.0f / 255.0f;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdv[3] = {0.229f, 0.224f, 0.225f};
  for (int c = 0; c < 3; ++c) p.mean[c] = mean[c], p.std[c] = stdv[c];
  const Image img = test::pattern_image(17, 5, 3);  // covers many byte values
  std::vector<float> t(17 * 5 * 3);
  ASSERT_TRUE(write_input_tensor(img, t.data(), p).ok());
  const size_t plane = 17 * 5;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      const float expect = (static_cast<float>(img.pixels[3 * i + c]) * p.scale - mean[c]) / stdv[c];
      ASSERT_EQ(t[c * plane + i], expect) << "pixel " << i << " channel " << c;
    }
  // Hand-computed: 255 in channel 0 -> (1 - 0.485) / 0.229 = 2.2489083; 0 in channel 2 -> -1.8044444.
  Image white(1, 1, 3);
  white.pixels = {255, 0, 0};
  ASSERT_TRUE(write_input_tensor(white, t.data(), p).ok());
  EXPECT_NEAR(t[0], 2.2489083f, 1e-6);
  EXPECT_NEAR(t[2], -1.8044444f, 1e-6);
}

TEST(VisionTensorFill, BgrMeanAppliesToTensorChannels) {
  // RetinaFace: BGR, scale 1, mean (104, 117, 123) given in tensor (B, G, R) order.
  TensorFillParams p;
  p.scale = 1;
  p.order = ChannelOrder::kBGR;
  p.mean[0] = 104, p.mean[1] = 117, p.mean[2] = 123;
  Image px(1, 1, 3);
  px.pixels = {200, 150, 100};  // R, G, B
  std::vector<float> t(3);
  ASSERT_TRUE(write_input_tensor(px, t.data(), p).ok());
  EXPECT_EQ(t, (std::vector<float>{100 - 104, 150 - 117, 200 - 123}));
}

TEST(VisionTensorFill, GrayAndErrors) {
  Image g(2, 1, 1);
  g.pixels = {0, 255};
  TensorFillParams p;  // default scale 1/255
  std::vector<float> t(2);
  ASSERT_TRUE(write_input_tensor(g, t.data(), p).ok());
  EXPECT_EQ(t[0], 0.f);
  EXPECT_EQ(t[1], 1.f);
  p.std[1] = 0;
  EXPECT_EQ(write_input_tensor(tiny(), t.data(), p).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(write_input_tensor(tiny(), nullptr, TensorFillParams{}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ez::vision
