// Decoding a JPEG while letterboxing it (letterbox_stream.h) must give exactly what decoding and
// then letterboxing gives: the same decoded pixels, canvas and geometry, and every canvas row
// handed on once, in order. Corrupt and truncated files fail as decode_image() fails, without
// hanging the helper thread.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vision/image_io.h"
#include "vision/letterbox.h"
#include "vision/letterbox_stream.h"
#include "vision_test_util.h"

namespace ez::vision {
namespace {

// A smooth pattern with detail (JPEG keeps it close, but the test compares decoded pixels anyway).
Image picture(int w, int h) {
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.at(x, y)[c] = static_cast<uint8_t>((x * (c + 1) + y * (3 - c) + (x ^ y) % 17) % 256);
  return img;
}

std::string jpeg_of(int w, int h) {
  auto bytes = encode_jpeg(picture(w, h), 90);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

TEST(VisionLetterboxStream, EqualsDecodeThenLetterbox) {
  struct Case {
    int w, h, tw, th;
  };
  // Shrink (as bus.jpg to 416), enlarge, same size, tall, a target that is not square.
  for (const Case& c : std::vector<Case>{{640, 640, 416, 416}, {100, 60, 320, 320}, {416, 416, 416, 416},
                                         {300, 911, 640, 640}, {1280, 720, 640, 384}}) {
    SCOPED_TRACE(std::to_string(c.w) + "x" + std::to_string(c.h) + " -> " + std::to_string(c.tw) + "x" + std::to_string(c.th));
    const std::string jpg = jpeg_of(c.w, c.h);
    const auto* data = reinterpret_cast<const uint8_t*>(jpg.data());
    LetterboxParams p;
    p.target_w = c.tw;
    p.target_h = c.th;
    auto whole = decode_image_bytes(jpg);
    ASSERT_TRUE(whole.ok());
    Image want;
    LetterboxInfo want_info;
    ASSERT_TRUE(letterbox_into(*whole, p, &want, &want_info, ResizeMethod::kReference).ok());

    Image decoded, canvas;
    LetterboxInfo info;
    std::vector<std::pair<int, int>> bands;
    StreamTimes times;
    const Status s = decode_letterbox_jpeg(data, jpg.size(), "test.jpg", p, &decoded, &canvas, &info,
                                           [&](int y0, int y1) { bands.emplace_back(y0, y1); }, &times);
    ASSERT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(decoded.pixels, whole->pixels);
    EXPECT_EQ(canvas.pixels, want.pixels);
    EXPECT_EQ(info.resized_w, want_info.resized_w);
    EXPECT_EQ(info.resized_h, want_info.resized_h);
    EXPECT_EQ(info.pad_x, want_info.pad_x);
    EXPECT_EQ(info.pad_y, want_info.pad_y);
    EXPECT_EQ(info.scale, want_info.scale);
    int next = 0;
    for (const auto& [y0, y1] : bands) {
      EXPECT_EQ(y0, next);
      EXPECT_LT(y0, y1);
      next = y1;
    }
    EXPECT_EQ(next, c.th);
    EXPECT_GE(times.decode_ms, 0.0);
    EXPECT_GE(times.tail_ms, 0.0);
  }
}

TEST(VisionLetterboxStream, CorruptAndTruncatedFilesFailLikeDecodeImage) {
  const std::string jpg = jpeg_of(320, 240);
  LetterboxParams p;
  p.target_w = p.target_h = 160;
  auto run = [&](const std::string& bytes) {
    Image decoded, canvas;
    LetterboxInfo info;
    return decode_letterbox_jpeg(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "bad.jpg", p, &decoded,
                                 &canvas, &info, [](int, int) {});
  };
  const Status truncated = run(jpg.substr(0, jpg.size() / 2));
  EXPECT_FALSE(truncated.ok());
  EXPECT_NE(truncated.message().find("truncated"), std::string::npos) << truncated.message();
  EXPECT_NE(truncated.message().find("bad.jpg"), std::string::npos) << truncated.message();
  std::string header_only = jpg.substr(0, 40);
  const Status corrupt = run(header_only);
  EXPECT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.message().find("bad.jpg"), std::string::npos) << corrupt.message();
}

}  // namespace
}  // namespace ez::vision
