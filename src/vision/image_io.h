// Reading and writing JPEG and PNG files. Decoding always yields 8-bit RGB (3 channels): gray,
// palette, 16-bit and alpha PNGs and gray/CMYK JPEGs are converted, alpha is dropped (as OpenCV's
// IMREAD_COLOR does). The format is taken from the file's first bytes, never from its name.
// EXIF orientation is ignored: pixels are returned as stored (as the reference model zoo does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "vision/image.h"

namespace ez::vision {

enum class ImageFormat { kUnknown, kJpeg, kPng };

ImageFormat detect_image_format(const uint8_t* data, size_t size);
// From a path's extension (.png, .jpg, .jpeg; any case); kUnknown otherwise. Used for writing only.
ImageFormat format_from_extension(const std::string& path);

// Errors: kNotFound for a missing file, kInvalidArgument for a file that is not a JPEG or PNG,
// kIoError for truncated or corrupt image data; every message names the file.
Result<Image> decode_image(const std::string& path);
// `name` is used in messages only.
Result<Image> decode_image_bytes(const uint8_t* data, size_t size, const std::string& name = "<memory>");
Result<Image> decode_image_bytes(const std::string& bytes, const std::string& name = "<memory>");

// Encoders for an RGB or gray Image. quality: 1..100.
Result<std::string> encode_png(const Image& img);
Result<std::string> encode_jpeg(const Image& img, int quality = 95);

struct WriteOptions {
  int jpeg_quality = 95;
};
// Format from the extension. Written atomically (temporary file + rename): a failure leaves no
// file behind and an existing file at `path` untouched.
Status write_image(const std::string& path, const Image& img, const WriteOptions& options = {});

// Internal per-format entry points (jpeg_codec.cpp, png_codec.cpp).
Result<Image> decode_jpeg(const uint8_t* data, size_t size, const std::string& name);

// Progress of a JPEG being decoded into a caller's image (see letterbox_stream.h): `started`
// once the size is known and *out allocated, `rows(n)` whenever the top n rows are final (in
// batches, and once with the full height). Both run on the decoding thread; an error after
// `started` leaves *out partly written.
struct JpegRowHook {
  std::function<void(const Image&)> started;
  std::function<void(int rows_done)> rows;
};
Status decode_jpeg_into(const uint8_t* data, size_t size, const std::string& name, Image* out, const JpegRowHook* hook);
Result<Image> decode_png(const uint8_t* data, size_t size, const std::string& name);

// Images above this many pixels are refused rather than risking an enormous allocation.
constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

}  // namespace ez::vision
