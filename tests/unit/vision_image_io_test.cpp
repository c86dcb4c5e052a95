// Decoding and encoding JPEG/PNG. Reference pixels come from OpenCV 4.6 (Debian python3-opencv):
//   /usr/bin/python3 -c 'import cv2; im = cv2.imread("bus.jpg"); print(im[y, x][::-1])'  # BGR -> RGB
// Tolerance ±2: libjpeg implementations (versions, SIMD vs C IDCT) may differ by a level or two;
// with Debian's libjpeg-turbo 2.1.5 the decode is bit-identical to cv2's.
#include <gtest/gtest.h>
#include <png.h>
// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
#include <jpeglib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/file_util.h"
#include "vision/image_io.h"
#include "vision_test_util.h"

namespace ez::vision {
namespace {

using test::TempDir;

void expect_rgb_near(const Image& img, int x, int y, int r, int g, int b, int tol = 2) {
  const uint8_t* p = img.at(x, y);
  EXPECT_NEAR(p[0], r, tol) << "R at (" << x << "," << y << ")";
  EXPECT_NEAR(p[1], g, tol) << "G at (" << x << "," << y << ")";
  EXPECT_NEAR(p[2], b, tol) << "B at (" << x << "," << y << ")";
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(VisionImageIo, DecodesBusJpegLikeOpenCv) {
  auto img = decode_image(test::image_path("bus.jpg"));
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_EQ(img->width, 640);  // the data README: bus.jpg is 640x640
  EXPECT_EQ(img->height, 640);
  EXPECT_EQ(img->channels, 3);
  ASSERT_EQ(img->pixels.size(), 640u * 640 * 3);
  expect_rgb_near(*img, 320, 320, 0, 84, 157);
  expect_rgb_near(*img, 100, 500, 231, 217, 217);
  expect_rgb_near(*img, 500, 100, 38, 43, 36);
  expect_rgb_near(*img, 250, 400, 21, 7, 6);
  expect_rgb_near(*img, 415, 233, 47, 51, 63);
  expect_rgb_near(*img, 5, 5, 0, 0, 0);
}

TEST(VisionImageIo, DecodesNonSquareJpegs) {
  auto a = decode_image(test::image_path("bus_810x1080.jpg"));
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->width, 810);
  EXPECT_EQ(a->height, 1080);
  auto b = decode_image(test::image_path("plate.jpg"));
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->width, 94);
  EXPECT_EQ(b->height, 24);
}

TEST(VisionImageIo, MissingFileIsNotFound) {
  auto r = decode_image("/nonexistent/dir/no_such.jpg");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no_such.jpg"), std::string::npos) << r.status().message();
}

TEST(VisionImageIo, TextFileIsNotAnImage) {
  TempDir dir;
  const std::string path = dir.file("x.txt");
  write_raw(path, "hello, this is text\n");
  auto r = decode_image(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "'" + path + "' is not a JPEG or PNG image");
  // Same with a misleading extension: the name does not matter, the bytes do.
  write_raw(dir.file("fake.jpg"), "GIF89a....");
  EXPECT_EQ(decode_image(dir.file("fake.jpg")).status().code(), StatusCode::kInvalidArgument);
  write_raw(dir.file("empty.png"), "");
  EXPECT_EQ(decode_image(dir.file("empty.png")).status().code(), StatusCode::kInvalidArgument);
}

TEST(VisionImageIo, FormatComesFromMagicBytesNotExtension) {
  TempDir dir;
  const Image src = test::pattern_image(9, 7, 3);
  auto png = encode_png(src);
  ASSERT_TRUE(png.ok());
  write_raw(dir.file("really_a_png.jpg"), *png);
  auto back = decode_image(dir.file("really_a_png.jpg"));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->pixels, src.pixels);
}

TEST(VisionImageIo, TruncatedJpegIsAnErrorNotAGrayImage) {
  auto bytes = read_file(test::image_path("bus.jpg"));
  ASSERT_TRUE(bytes.ok());
  TempDir dir;
  const std::string path = dir.file("bus_truncated.jpg");
  write_raw(path, bytes->substr(0, bytes->size() / 2));
  auto r = decode_image(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
}

TEST(VisionImageIo, JpegCutAnywhereNeverCrashesAndAlwaysFails) {
  auto bytes = read_file(test::image_path("bus.jpg"));
  ASSERT_TRUE(bytes.ok());
  for (size_t n = 3; n < bytes->size(); n += 2999) {
    auto r = decode_image_bytes(bytes->substr(0, n), "cut");
    EXPECT_FALSE(r.ok()) << "cut at " << n;
  }
  // Losing only the end-of-image marker is still a truncation.
  EXPECT_FALSE(decode_image_bytes(bytes->substr(0, bytes->size() - 2), "cut").ok());
  EXPECT_TRUE(decode_image_bytes(*bytes, "whole").ok());
}

TEST(VisionImageIo, FlippedJpegBytesNeverCrash) {
  // Corrupt entropy-coded data is reported by libjpeg as a warning (decoded with garbage) or an
  // error; either way decode returns, never exits or reads out of bounds (run under ASan in CI).
  auto bytes = read_file(test::image_path("bus.jpg"));
  ASSERT_TRUE(bytes.ok());
  int failures = 0;
  for (size_t pos = 2; pos < bytes->size(); pos += 1499) {
    std::string bad = *bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0xff);
    auto r = decode_image_bytes(bad, "flipped.jpg");
    if (!r.ok()) {
      ++failures;
    } else {
      EXPECT_EQ(r->pixels.size(), static_cast<size_t>(r->width) * r->height * 3);
    }
  }
  EXPECT_GT(failures, 0);  // at least the header hits are refused
}

// A CMYK JPEG as Photoshop writes it (Adobe marker, inverted values): converted with R = C*K/255.
TEST(VisionImageIo, CmykJpegBecomesRgb) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = 16;
  cinfo.image_height = 16;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 100, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(16 * 4);
  for (int x = 0; x < 16; ++x) row[4 * x] = 255, row[4 * x + 1] = 128, row[4 * x + 2] = 0, row[4 * x + 3] = 255;
  while (cinfo.next_scanline < 16) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  const std::string bytes(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  auto img = decode_image_bytes(bytes, "cmyk.jpg");
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  EXPECT_NEAR(img->at(8, 8)[0], 255, 2);
  EXPECT_NEAR(img->at(8, 8)[1], 128, 2);
  EXPECT_NEAR(img->at(8, 8)[2], 0, 2);
}

TEST(VisionImageIo, TruncatedAndCorruptPngAreErrors) {
  const Image src = test::pattern_image(64, 48, 3, 11);
  auto png = encode_png(src);
  ASSERT_TRUE(png.ok());
  for (size_t n : {size_t{8}, size_t{30}, png->size() / 2, png->size() - 13}) {
    auto r = decode_image_bytes(png->substr(0, n), "cut.png");
    ASSERT_FALSE(r.ok()) << "cut at " << n;
    EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  }
  std::string corrupt = *png;
  corrupt[corrupt.size() / 2] ^= 0x55;  // inside IDAT: the CRC check fails
  auto r = decode_image_bytes(corrupt, "corrupt.png");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("corrupt.png"), std::string::npos) << r.status().message();
}

TEST(VisionImageIo, PngRoundTripIsExact) {
  TempDir dir;
  const Image rgb = test::pattern_image(37, 23, 3);
  ASSERT_TRUE(write_image(dir.file("rgb.png"), rgb).ok());
  auto back = decode_image(dir.file("rgb.png"));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->width, 37);
  EXPECT_EQ(back->height, 23);
  EXPECT_EQ(back->pixels, rgb.pixels);

  // A gray image is written as gray and read back as RGB with equal channels.
  const Image gray = test::pattern_image(10, 6, 1, 29);
  ASSERT_TRUE(write_image(dir.file("gray.PNG"), gray).ok());
  auto g = decode_image(dir.file("gray.PNG"));
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->channels, 3);
  for (int i = 0; i < 60; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(g->pixels[3 * i + c], gray.pixels[i]);
}

// Writes a PNG of an unusual type with libpng directly, to check the conversions to RGB8.
std::string write_png_with(int w, int h, int color_type, int bit_depth, const std::vector<uint8_t>& raw,
                           const std::vector<png_color>& palette = {}) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out, [](png_structp p, png_bytep d, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(d), n);
      },
      nullptr);
  png_set_IHDR(png, info, w, h, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  const size_t row = raw.size() / h;
  for (int y = 0; y < h; ++y) png_write_row(png, const_cast<uint8_t*>(raw.data() + y * row));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

TEST(VisionImageIo, PngPaletteGray16AndAlphaBecomeRgb8) {
  {  // palette, 8-bit indices
    std::vector<png_color> pal = {{10, 20, 30}, {200, 100, 50}, {0, 255, 7}};
    auto bytes = write_png_with(3, 1, PNG_COLOR_TYPE_PALETTE, 8, {2, 0, 1}, pal);
    auto img = decode_image_bytes(bytes, "palette.png");
    ASSERT_TRUE(img.ok()) << img.status().to_string();
    EXPECT_EQ(img->pixels, (std::vector<uint8_t>{0, 255, 7, 10, 20, 30, 200, 100, 50}));
  }
  {  // 16-bit gray, big-endian samples: the high byte is kept
    auto bytes = write_png_with(2, 1, PNG_COLOR_TYPE_GRAY, 16, {0x12, 0x34, 0xfe, 0xff});
    auto img = decode_image_bytes(bytes, "gray16.png");
    ASSERT_TRUE(img.ok()) << img.status().to_string();
    EXPECT_EQ(img->pixels, (std::vector<uint8_t>{0x12, 0x12, 0x12, 0xfe, 0xfe, 0xfe}));
  }
  {  // RGBA: alpha dropped, colour kept as stored
    auto bytes = write_png_with(2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, {1, 2, 3, 0, 250, 251, 252, 128});
    auto img = decode_image_bytes(bytes, "rgba.png");
    ASSERT_TRUE(img.ok()) << img.status().to_string();
    EXPECT_EQ(img->pixels, (std::vector<uint8_t>{1, 2, 3, 250, 251, 252}));
  }
  {  // 1-bit gray: 0 -> 0, 1 -> 255
    auto bytes = write_png_with(8, 1, PNG_COLOR_TYPE_GRAY, 1, {0xa0});  // 1010 0000
    auto img = decode_image_bytes(bytes, "gray1.png");
    ASSERT_TRUE(img.ok()) << img.status().to_string();
    ASSERT_EQ(img->pixels.size(), 24u);
    EXPECT_EQ(img->pixels[0], 255);
    EXPECT_EQ(img->pixels[3], 0);
    EXPECT_EQ(img->pixels[6], 255);
    EXPECT_EQ(img->pixels[9], 0);
  }
}

TEST(VisionImageIo, JpegRoundTripIsCloseAndQualityMatters) {
  // A smooth image (JPEG's best case) so the error bound is meaningful.
  Image src(64, 48, 3);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = src.at(x, y);
      p[0] = static_cast<uint8_t>(x * 4), p[1] = static_cast<uint8_t>(y * 5), p[2] = static_cast<uint8_t>(128);
    }
  auto hi = encode_jpeg(src, 95);
  auto lo = encode_jpeg(src, 10);
  ASSERT_TRUE(hi.ok() && lo.ok());
  EXPECT_LT(lo->size(), hi->size());
  auto back = decode_image_bytes(*hi, "hi.jpg");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  double err = 0;
  for (size_t i = 0; i < src.pixels.size(); ++i) err += std::abs(int(back->pixels[i]) - int(src.pixels[i]));
  EXPECT_LT(err / src.pixels.size(), 2.0);
  EXPECT_FALSE(encode_jpeg(src, 0).ok());
  EXPECT_FALSE(encode_jpeg(src, 101).ok());
}

TEST(VisionImageIo, GrayJpegDecodesToEqualRgbChannels) {
  const Image gray = test::pattern_image(16, 16, 1, 1);
  auto bytes = encode_jpeg(gray, 90);
  ASSERT_TRUE(bytes.ok());
  auto img = decode_image_bytes(*bytes);
  ASSERT_TRUE(img.ok());
  ASSERT_EQ(img->channels, 3);
  for (size_t i = 0; i < 256; ++i) {
    EXPECT_EQ(img->pixels[3 * i], img->pixels[3 * i + 1]);
    EXPECT_EQ(img->pixels[3 * i], img->pixels[3 * i + 2]);
  }
}

TEST(VisionImageIo, FailedWritesLeaveNothingBehind) {
  TempDir dir;
  const Image img = test::pattern_image(8, 8, 3);
  // Directory does not exist.
  EXPECT_EQ(write_image(dir.file("missing/x.png"), img).code(), StatusCode::kIoError);
  // Unknown extension: refused before anything is written.
  auto s = write_image(dir.file("x.bmp"), img);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("x.bmp"), std::string::npos);
  // The target is a directory: the temporary file is written, the rename fails, it is removed.
  std::filesystem::create_directory(dir.file("taken.png"));
  EXPECT_FALSE(write_image(dir.file("taken.png"), img).ok());
  EXPECT_EQ(dir.entry_count(), 1u);  // only the directory we made
  // A bad image does not touch an existing file.
  ASSERT_TRUE(write_image(dir.file("keep.jpg"), img).ok());
  const std::string before = read_file(dir.file("keep.jpg")).value();
  Image bad = img;
  bad.pixels.resize(10);
  EXPECT_EQ(write_image(dir.file("keep.jpg"), bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(read_file(dir.file("keep.jpg")).value(), before);
  EXPECT_EQ(dir.entry_count(), 2u);
}

}  // namespace
}  // namespace ez::vision
