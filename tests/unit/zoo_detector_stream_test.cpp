// Detector::detect_file letterboxes a JPEG while it decodes (letterbox_stream.h); the model must
// be fed exactly the tensor of the plain path, decode_image() then detect(), and find the same
// boxes. Uses yolox_nano and bus.jpg from the data folder (skipped, saying so, without them).
#include <gtest/gtest.h>

#include <filesystem>

#include "vision/image_io.h"
#include "vision_test_util.h"
#include "zoo/pipeline/detector_pipeline.h"

namespace ez::zoo {
namespace {

TEST(ZooDetectorStream, JpegFileGivesTheTensorOfDecodeThenDetect) {
  const std::string model = vision::test::data_dir() + "/models/yolox_nano.onnx";
  const std::string image = vision::test::image_path("bus.jpg");
  if (!std::filesystem::exists(model) || !std::filesystem::exists(image)) GTEST_SKIP() << "needs " << model << " and " << image;
  DetectorOptions o;
  o.session.num_threads = 2;
  auto det = Detector::create(model, o);
  ASSERT_TRUE(det.ok()) << det.status().to_string();
  auto img = vision::decode_image(image);
  ASSERT_TRUE(img.ok());
  auto plain = (*det)->detect(*img);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  const Tensor plain_input = (*det)->last_input().clone();
  vision::Image decoded;
  auto streamed = (*det)->detect_file(image, &decoded);
  ASSERT_TRUE(streamed.ok()) << streamed.status().to_string();
  const Tensor streamed_input = (*det)->last_input();
  ASSERT_EQ(streamed_input.numel(), plain_input.numel());
  for (int64_t i = 0; i < plain_input.numel(); ++i)
    ASSERT_EQ(streamed_input.data<float>()[i], plain_input.data<float>()[i]) << "input value " << i;
  EXPECT_EQ(decoded.pixels, img->pixels);
  ASSERT_EQ(streamed->detections.size(), plain->detections.size());
  for (size_t i = 0; i < plain->detections.size(); ++i) {
    EXPECT_EQ(streamed->detections[i].class_id, plain->detections[i].class_id);
    EXPECT_EQ(streamed->detections[i].score, plain->detections[i].score);
  }
}

}  // namespace
}  // namespace ez::zoo
