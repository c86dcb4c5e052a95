// Ultralytics YOLO label folders as COCO ground truth, and image sizes from file headers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "eval/yolo_labels.h"
#include "eval_test_util.h"

namespace ez::eval {
namespace {

namespace fs = std::filesystem;

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// A header-only JPEG: SOI, optional APP1 (EXIF orientation), an APP0 to skip, SOF0, EOI.
std::string jpeg(int width, int height, int orientation = 0) {
  std::string s = bytes({0xFF, 0xD8});
  s += bytes({0xFF, 0xE0, 0x00, 0x10}) + std::string("JFIF\0", 5) + std::string(9, '\0');
  if (orientation) {
    // "Exif\0\0" + little-endian TIFF header + IFD0 with one entry: 0x0112 SHORT 1 = orientation.
    std::string exif = std::string("Exif\0\0", 6) + bytes({'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0,
                                                           0, 0, orientation, 0, 0, 0, 0, 0, 0, 0});
    const int len = static_cast<int>(exif.size()) + 2;
    s += bytes({0xFF, 0xE1, len >> 8, len & 0xFF}) + exif;
  }
  s += bytes({0xFF, 0xFF, 0xC0, 0x00, 0x11, 0x08, height >> 8, height & 0xFF, width >> 8, width & 0xFF, 3});
  s += std::string(9, '\1') + bytes({0xFF, 0xD9});
  return s;
}

std::string png(int width, int height) {
  return bytes({0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, width >> 8,
                width & 0xFF, 0, 0, height >> 8, height & 0xFF, 8, 2, 0, 0, 0});
}

Result<ImageSize> size_of(const std::string& data) {
  std::istringstream in(data);
  return read_image_size(in, "mem");
}

TEST(EvalImageSize, JpegPngAndExifOrientation) {
  auto j = size_of(jpeg(640, 478));
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ(j->width, 640);
  EXPECT_EQ(j->height, 478);
  auto rotated = size_of(jpeg(640, 478, 6));  // 90 degrees: Ultralytics' exif_size swaps
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->width, 478);
  EXPECT_EQ(rotated->height, 640);
  EXPECT_EQ(size_of(jpeg(640, 478, 8))->width, 478);
  EXPECT_EQ(size_of(jpeg(640, 478, 3))->width, 640);  // 180 degrees: no swap
  auto p = size_of(png(300, 20));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->width, 300);
  EXPECT_EQ(p->height, 20);

  EXPECT_FALSE(size_of("GIF89a").ok());
  EXPECT_FALSE(size_of(bytes({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x40})).ok());  // truncated
  EXPECT_FALSE(size_of(bytes({0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02})).ok());  // scan before SOF
  auto missing = read_image_size("/nonexistent.jpg");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(EvalImageSize, Coco8HeadersMatchDecodedSizes) {
  // Sizes from cv2.imread(...).shape with Debian's python3.
  const std::string dir = testing::shared_data("ultralytics/coco8/images/val/");
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir;
  const std::vector<std::tuple<std::string, int, int>> expected = {
      {"000000000036.jpg", 481, 640}, {"000000000042.jpg", 640, 478},
      {"000000000049.jpg", 381, 500}, {"000000000061.jpg", 640, 488}};
  for (const auto& [name, w, h] : expected) {
    auto s = read_image_size(dir + name);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_EQ(s->width, w) << name;
    EXPECT_EQ(s->height, h) << name;
  }
}

TEST(EvalYoloLabels, Coco8Val) {
  const std::string root = testing::shared_data("ultralytics/coco8");
  if (!fs::exists(root)) GTEST_SKIP() << "no " << root;
  auto gt = load_yolo_gt(root);
  ASSERT_TRUE(gt.ok()) << gt.status().to_string();
  ASSERT_EQ(gt->images.size(), 4u);
  EXPECT_EQ(gt->images[1].id, 42);  // numeric stems become COCO image ids
  EXPECT_EQ(gt->images[1].file_name, "000000000042.jpg");
  EXPECT_EQ(gt->annotations.size(), 17u);  // 2 + 1 + 9 + 5 label rows
  ASSERT_EQ(gt->categories.size(), 80u);
  EXPECT_EQ(gt->categories[79].id, 90);
  // 000000000042.txt: "16 0.606687 0.341381 0.544156 0.51" on 640x478 -> dog (COCO id 18).
  const GtAnnotation& dog = gt->annotations[2];
  EXPECT_EQ(dog.image_id, 42);
  EXPECT_EQ(dog.category_id, 18);
  EXPECT_NEAR(dog.bbox[0], (0.606687 - 0.544156 / 2) * 640, 1e-9);
  EXPECT_NEAR(dog.bbox[1], (0.341381 - 0.51 / 2) * 478, 1e-9);
  EXPECT_NEAR(dog.bbox[2], 348.25984, 1e-9);
  EXPECT_NEAR(dog.bbox[3], 243.78, 1e-9);
  EXPECT_NEAR(dog.area, 348.25984 * 243.78, 1e-6);
  EXPECT_FALSE(dog.iscrowd);
  EXPECT_EQ(dog.id, 3);
}

class EvalYoloFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/ez_yolo_" + std::to_string(getpid());
    fs::create_directories(root_ + "/images/val");
    fs::create_directories(root_ + "/labels/val");
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& rel, const std::string& data) { std::ofstream(root_ + "/" + rel, std::ios::binary) << data; }
  std::string root_;
};

TEST_F(EvalYoloFolder, BoxesPolygonsDuplicatesAndBackground) {
  put("images/val/b.jpg", jpeg(200, 100));
  put("images/val/a.png", png(100, 50));
  put("images/val/c.jpg", jpeg(10, 10));  // no label file: background image
  put("images/val/notes.txt", "not an image");
  put("labels/val/a.txt", "0 0.5 0.5 0.2 0.4\n\n0 0.5 0.5 0.2 0.4\n79 0.1 0.2 0.1 0.2\n");
  put("labels/val/b.txt", "2 0.1 0.1 0.5 0.1 0.5 0.6\n0 0.2 0.2 0.3 0.2 0.3 0.3 0.2 0.3\n");
  YoloDatasetOptions o;
  o.class_names = {"person", "bicycle"};
  auto gt = load_yolo_gt(root_, o);
  ASSERT_TRUE(gt.ok()) << gt.status().to_string();
  ASSERT_EQ(gt->images.size(), 3u);
  EXPECT_EQ(gt->images[0].file_name, "a.png");
  EXPECT_EQ(gt->images[0].id, 1);  // stems are not numbers: ids 1..N in file-name order
  EXPECT_EQ(gt->images[2].id, 3);
  EXPECT_EQ(gt->categories[1].name, "bicycle");
  ASSERT_EQ(gt->annotations.size(), 4u);  // the duplicate row is dropped
  const GtAnnotation& a0 = gt->annotations[0];
  EXPECT_EQ(a0.category_id, 1);
  EXPECT_NEAR(a0.bbox[0], 40, 1e-9);
  EXPECT_NEAR(a0.bbox[1], 15, 1e-9);
  EXPECT_NEAR(a0.bbox[2], 20, 1e-9);
  EXPECT_NEAR(a0.bbox[3], 20, 1e-9);
  EXPECT_NEAR(a0.area, 400, 1e-9);
  EXPECT_EQ(gt->annotations[1].category_id, 90);  // class 79
  // b.txt holds polygons: the box is their extent. Triangle (0.1,0.1) (0.5,0.1) (0.5,0.6) on 200x100.
  const GtAnnotation& tri = gt->annotations[2];
  EXPECT_EQ(tri.image_id, 2);
  EXPECT_EQ(tri.category_id, 3);
  EXPECT_NEAR(tri.bbox[0], 20, 1e-9);
  EXPECT_NEAR(tri.bbox[1], 10, 1e-9);
  EXPECT_NEAR(tri.bbox[2], 80, 1e-9);
  EXPECT_NEAR(tri.bbox[3], 50, 1e-9);
}

TEST_F(EvalYoloFolder, NumericStemsAndSizeCallback) {
  put("images/val/000000000139.jpg", "not really a jpeg");
  put("labels/val/000000000139.txt", "0 0.5 0.5 1 1\n");
  YoloDatasetOptions o;
  o.coco80_to_91 = false;
  o.num_classes = 3;
  std::string asked;
  o.image_size = [&](const std::string& path) -> Result<ImageSize> {
    asked = path;
    return ImageSize{64, 32};
  };
  auto gt = load_yolo_gt(root_, o);
  ASSERT_TRUE(gt.ok()) << gt.status().to_string();
  EXPECT_NE(asked.find("000000000139.jpg"), std::string::npos);
  EXPECT_EQ(gt->images[0].id, 139);
  EXPECT_EQ(gt->categories.size(), 3u);
  EXPECT_EQ(gt->annotations[0].category_id, 0);
  EXPECT_EQ(gt->annotations[0].bbox, (BoxXYWH{0, 0, 64, 32}));
}

TEST_F(EvalYoloFolder, Errors) {
  put("images/val/a.jpg", jpeg(100, 100));
  const auto error = [&](const std::string& label) {
    put("labels/val/a.txt", label);
    auto gt = load_yolo_gt(root_);
    return gt.ok() ? std::string("(loaded fine)") : gt.status().message();
  };
  EXPECT_NE(error("0 0.5 0.5 0.2\n").find("a.txt:1: expected 5 values 'class cx cy w h', got 4"), std::string::npos);
  EXPECT_NE(error("0 0.5 0.5 0.2 0.2\n80 0.5 0.5 0.2 0.2\n").find("a.txt:2: class 80"), std::string::npos);
  EXPECT_NE(error("0 0.5 0.5 0.2 1.5\n").find("not normalised"), std::string::npos);
  EXPECT_NE(error("0 0.5 x 0.2 0.2\n").find("'x' is not a number"), std::string::npos);
  EXPECT_NE(error("0.5 0.5 0.5 0.2 0.2\n").find("is not an integer"), std::string::npos);

  put("labels/val/a.txt", "");
  put("images/val/b.jpg", "garbage");
  auto bad_image = load_yolo_gt(root_);
  ASSERT_FALSE(bad_image.ok());
  EXPECT_NE(bad_image.status().message().find("b.jpg"), std::string::npos);

  YoloDatasetOptions test_split;
  test_split.split = "test";
  auto no_split = load_yolo_gt(root_, test_split);
  ASSERT_FALSE(no_split.ok());
  EXPECT_NE(no_split.status().message().find("images/test"), std::string::npos);
}

TEST(EvalYoloLabels, Coco80To91) {
  EXPECT_EQ(coco80_to_91(0), 1);
  EXPECT_EQ(coco80_to_91(11), 13);
  EXPECT_EQ(coco80_to_91(79), 90);
  EXPECT_EQ(coco80_to_91(80), -1);
  EXPECT_EQ(coco80_to_91(-1), -1);
}

}  // namespace
}  // namespace ez::eval
