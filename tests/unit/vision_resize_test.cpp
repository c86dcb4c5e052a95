// Bilinear resize and letterbox. Expected resize values are cv2.resize(..., INTER_LINEAR) outputs
// from OpenCV 4.6 (/usr/bin/python3), which the reference path reproduces bit for bit.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "vision/image_io.h"
#include "vision/letterbox.h"
#include "vision/resize.h"
#include "vision_test_util.h"

namespace ez::vision {
namespace {

Image gray_from(int w, int h, std::vector<uint8_t> values) {
  Image img(w, h, 1);
  img.pixels = std::move(values);
  return img;
}

TEST(VisionResize, UpscaleMatchesOpenCvExactly) {
  // cv2.resize(np.array([[0,100],[200,255]], np.uint8), (4,4)) and (5,3)
  const Image src = gray_from(2, 2, {0, 100, 200, 255});
  auto r = resize_bilinear(src, 4, 4, ResizeMethod::kReference);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels, (std::vector<uint8_t>{0, 25, 75, 100, 50, 72, 117, 139, 150, 167, 200, 216, 200, 214, 241, 255}));
  r = resize_bilinear(src, 5, 3, ResizeMethod::kReference);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels, (std::vector<uint8_t>{0, 10, 50, 90, 100, 100, 108, 139, 169, 178, 200, 205, 227, 249, 255}));
}

TEST(VisionResize, DownscaleRgbMatchesOpenCvExactly) {
  // b = (np.arange(7*5*3) * 37 % 256).reshape(5,7,3); cv2.resize(b, (3,4))
  const Image src = test::pattern_image(7, 5, 3);
  auto r = resize_bilinear(src, 3, 4, ResizeMethod::kReference);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels, (std::vector<uint8_t>{75,  112, 149, 78,  115, 152, 81,  118, 155, 86,  123, 160,
                                             89,  126, 163, 92,  129, 166, 97,  134, 171, 101, 138, 175,
                                             104, 141, 178, 109, 146, 183, 112, 149, 186, 115, 152, 114}));
}

TEST(VisionResize, ThreadedBandsEqualOneThread) {
  // Each band keeps its own row cache, so the pixels must not depend on the split: shrink and
  // enlarge, RGB and gray, with bands shorter than the cache reuse distance.
  const ThreadPool two(2), three(3);
  for (const auto& [w, h, ch, dw, dh] : std::vector<std::array<int, 5>>{{640, 640, 3, 416, 416}, {97, 61, 3, 300, 200},
                                                                      {301, 199, 1, 64, 70}}) {
    const Image src = test::pattern_image(w, h, ch);
    auto one = resize_bilinear(src, dw, dh, ResizeMethod::kReference);
    ASSERT_TRUE(one.ok());
    for (const ThreadPool* pool : {&two, &three}) {
      Image out(dw, dh, ch);
      ASSERT_TRUE(resize_bilinear_into(src, out.pixels.data(), static_cast<int>(out.row_bytes()), dw, dh,
                                       ResizeMethod::kReference, pool)
                      .ok());
      EXPECT_EQ(out.pixels, one->pixels) << w << "x" << h << "x" << ch << " -> " << dw << "x" << dh;
    }
  }
}

TEST(VisionResize, AllMethodsAgreeWithinTolerance) {
  auto img = decode_image(test::image_path("bus_810x1080.jpg"));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  auto ref = resize_bilinear(*img, 480, 640, ResizeMethod::kReference);
  auto yuv = resize_bilinear(*img, 480, 640, ResizeMethod::kLibyuv);
  auto aut = resize_bilinear(*img, 480, 640, ResizeMethod::kAuto);
  ASSERT_TRUE(ref.ok() && yuv.ok() && aut.ok());
  // cv2.resize(bus_810x1080, (480, 640)) at a few points (RGB), ±2 for libjpeg differences.
  const int pts[][5] = {{0, 0, 173, 149, 123}, {240, 320, 1, 85, 158}, {100, 500, 200, 183, 173},
                        {479, 639, 98, 92, 102}, {333, 77, 128, 119, 120}, {50, 250, 31, 35, 28}};
  for (const auto& p : pts)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(ref->at(p[0], p[1])[c], p[2 + c], 2) << p[0] << "," << p[1];
  // libyuv's bilinear rounds differently: a few levels apart at most when shrinking.
  int max_diff = 0;
  for (size_t i = 0; i < ref->pixels.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(int(ref->pixels[i]) - int(yuv->pixels[i])));
    ASSERT_LE(std::abs(int(ref->pixels[i]) - int(aut->pixels[i])), 4);
  }
  EXPECT_LE(max_diff, 4);
}

TEST(VisionResize, SameSizeIsACopyAndGrayWorks) {
  const Image src = test::pattern_image(13, 9, 1);
  for (auto m : {ResizeMethod::kReference, ResizeMethod::kLibyuv, ResizeMethod::kAuto}) {
    auto r = resize_bilinear(src, 13, 9, m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->pixels, src.pixels);
    auto half = resize_bilinear(src, 6, 4, m);
    ASSERT_TRUE(half.ok()) << resize_method_name(m);
    EXPECT_EQ(half->channels, 1);
  }
}

TEST(VisionResize, BadArgumentsAreErrors) {
  const Image src = test::pattern_image(4, 4, 3);
  EXPECT_EQ(resize_bilinear(src, 0, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resize_bilinear(Image(), 5, 5).status().code(), StatusCode::kInvalidArgument);
  Image two(4, 4, 2);
  EXPECT_EQ(resize_bilinear(two, 2, 2).status().code(), StatusCode::kInvalidArgument);
}

// A solid image so that every resized pixel is exactly the colour.
Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  Image img(w, h, 3);
  for (int i = 0; i < w * h; ++i) img.pixels[3 * i] = r, img.pixels[3 * i + 1] = g, img.pixels[3 * i + 2] = b;
  return img;
}

// Checks that the content rectangle [x0, x0+w) x [y0, y0+h) is (200, 10, 20) and the rest is 114.
void expect_layout(const Image& out, int x0, int y0, int w, int h) {
  int wrong = 0;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const bool inside = x >= x0 && x < x0 + w && y >= y0 && y < y0 + h;
      const uint8_t* p = out.at(x, y);
      const bool ok = inside ? (p[0] == 200 && p[1] == 10 && p[2] == 20) : (p[0] == 114 && p[1] == 114 && p[2] == 114);
      if (!ok && ++wrong < 5) ADD_FAILURE() << "pixel (" << x << "," << y << ") inside=" << inside << " is " << int(p[0]);
    }
  EXPECT_EQ(wrong, 0);
}

TEST(VisionLetterbox, CentredPaddingWithOddPixelAtTheBottom) {
  // 300x100 into 64x64: r = 64/300, content 64 x round(21.33) = 21, 43 rows of padding: 21 on top, 22 below.
  auto lb = letterbox(solid(300, 100, 200, 10, 20), LetterboxParams{64, 64});
  ASSERT_TRUE(lb.ok()) << lb.status().to_string();
  EXPECT_EQ(lb->image.width, 64);
  EXPECT_EQ(lb->image.height, 64);
  EXPECT_FLOAT_EQ(lb->info.scale, 64.f / 300.f);
  EXPECT_EQ(lb->info.pad_x, 0);
  EXPECT_EQ(lb->info.pad_y, 21);
  EXPECT_EQ(lb->info.resized_w, 64);
  EXPECT_EQ(lb->info.resized_h, 21);
  expect_layout(lb->image, 0, 21, 64, 21);
}

TEST(VisionLetterbox, TallImagePadsLeftAndRight) {
  // 50x100 into 40x30: r = 0.3, content 15x30, padding 25 -> left 12, right 13.
  auto lb = letterbox(solid(50, 100, 200, 10, 20), LetterboxParams{40, 30});
  ASSERT_TRUE(lb.ok());
  EXPECT_EQ(lb->info.pad_x, 12);
  EXPECT_EQ(lb->info.pad_y, 0);
  expect_layout(lb->image, 12, 0, 15, 30);
}

TEST(VisionLetterbox, TopLeftModeAndNoScaleup) {
  LetterboxParams p{64, 64};
  p.center = false;
  auto lb = letterbox(solid(300, 100, 200, 10, 20), p);
  ASSERT_TRUE(lb.ok());
  EXPECT_EQ(lb->info.pad_x, 0);
  EXPECT_EQ(lb->info.pad_y, 0);
  expect_layout(lb->image, 0, 0, 64, 21);

  // A small image is not enlarged with scaleup = false: 20x10 sits in the middle at scale 1.
  LetterboxParams q{64, 64};
  q.scaleup = false;
  lb = letterbox(solid(20, 10, 200, 10, 20), q);
  ASSERT_TRUE(lb.ok());
  EXPECT_EQ(lb->info.scale, 1.f);
  expect_layout(lb->image, 22, 27, 20, 10);
  // ... and is with scaleup = true: r = 3.2, 64x32, padding 16 on top.
  lb = letterbox(solid(20, 10, 200, 10, 20), LetterboxParams{64, 64});
  ASSERT_TRUE(lb.ok());
  expect_layout(lb->image, 0, 16, 64, 32);
}

TEST(VisionLetterbox, FillValueAndReuseOfTheOutputBuffer) {
  LetterboxParams p{32, 32};
  p.fill = 0;
  Image out;
  LetterboxInfo info;
  ASSERT_TRUE(letterbox_into(solid(64, 32, 200, 10, 20), p, &out, &info).ok());
  const uint8_t* before = out.pixels.data();
  EXPECT_EQ(out.at(0, 0)[0], 0);
  EXPECT_EQ(out.at(16, 16)[0], 200);
  // Second frame of the same size: same memory, padding repainted.
  std::fill(out.pixels.begin(), out.pixels.end(), 7);
  ASSERT_TRUE(letterbox_into(solid(64, 32, 200, 10, 20), p, &out, &info).ok());
  EXPECT_EQ(out.pixels.data(), before);
  EXPECT_EQ(out.at(0, 0)[0], 0);
  EXPECT_EQ(out.at(0, 31)[0], 0);
}

TEST(VisionLetterbox, BusPhotoLikeUltralytics) {
  auto img = decode_image(test::image_path("bus_810x1080.jpg"));
  ASSERT_TRUE(img.ok());
  auto lb = letterbox(*img, LetterboxParams{640, 640});
  ASSERT_TRUE(lb.ok());
  // Ultralytics: r = 640/1080, new_unpad = (480, 640), dw = 160 -> 80 each side.
  EXPECT_EQ(lb->info.resized_w, 480);
  EXPECT_EQ(lb->info.resized_h, 640);
  EXPECT_EQ(lb->info.pad_x, 80);
  EXPECT_EQ(lb->info.pad_y, 0);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(lb->image.at(79, 300)[c], 114);
    EXPECT_EQ(lb->image.at(560, 300)[c], 114);
  }
  // cv2.resize(bus_810x1080, (480, 640))[320, 240] = RGB (1, 85, 158), shifted right by 80.
  EXPECT_NEAR(lb->image.at(320, 320)[0], 1, 2);
  EXPECT_NEAR(lb->image.at(320, 320)[1], 85, 2);
  EXPECT_NEAR(lb->image.at(320, 320)[2], 158, 2);
}

TEST(VisionLetterbox, BoxesMapBackAndClip) {
  auto info = letterbox_geometry(300, 100, LetterboxParams{64, 64});
  ASSERT_TRUE(info.ok());
  // The content's own rectangle maps to the whole image (bottom clipped: 21 rows / r = 98.44).
  BoxF b = map_box_to_original({0, 21, 64, 42}, *info);
  EXPECT_FLOAT_EQ(b.x1, 0);
  EXPECT_FLOAT_EQ(b.y1, 0);
  EXPECT_FLOAT_EQ(b.x2, 300);
  EXPECT_NEAR(b.y2, 21 * 300.0 / 64, 1e-3);
  // A box inside: (x - pad) / r.
  b = map_box_to_original({16, 31, 32, 37}, *info);
  EXPECT_NEAR(b.x1, 75, 1e-4);
  EXPECT_NEAR(b.y1, 10 * 300.0 / 64, 1e-4);
  EXPECT_NEAR(b.x2, 150, 1e-4);
  EXPECT_NEAR(b.y2, 16 * 300.0 / 64, 1e-4);
  // Sticking out into the padding: clipped to the image.
  b = map_box_to_original({-5, 0, 70, 64}, *info);
  EXPECT_EQ(b.x1, 0);
  EXPECT_EQ(b.y1, 0);
  EXPECT_EQ(b.x2, 300);
  EXPECT_EQ(b.y2, 100);
  float x = 32, y = 21;
  map_point_to_original(&x, &y, *info);
  EXPECT_NEAR(x, 150, 1e-4);
  EXPECT_NEAR(y, 0, 1e-6);
}

TEST(VisionLetterbox, BadParametersAreErrors) {
  EXPECT_FALSE(letterbox_geometry(0, 10, LetterboxParams{}).ok());
  EXPECT_FALSE(letterbox_geometry(10, 10, LetterboxParams{0, 640}).ok());
  EXPECT_FALSE(letterbox(Image(), LetterboxParams{}).ok());
  // Extreme aspect ratio keeps at least one pixel of content.
  auto info = letterbox_geometry(10000, 1, LetterboxParams{64, 64});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->resized_h, 1);
}

}  // namespace
}  // namespace ez::vision
