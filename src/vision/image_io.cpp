#include "vision/image_io.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/file_util.h"

namespace ez::vision {

ImageFormat detect_image_format(const uint8_t* data, size_t size) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return ImageFormat::kJpeg;
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

ImageFormat format_from_extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return ImageFormat::kUnknown;
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == "png") return ImageFormat::kPng;
  if (ext == "jpg" || ext == "jpeg") return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

Result<Image> decode_image_bytes(const uint8_t* data, size_t size, const std::string& name) {
  switch (detect_image_format(data, size)) {
    case ImageFormat::kJpeg: return decode_jpeg(data, size, name);
    case ImageFormat::kPng: return decode_png(data, size, name);
    case ImageFormat::kUnknown: break;
  }
  if (size == 0) return invalid_argument("'" + name + "' is empty, not a JPEG or PNG image");
  return invalid_argument("'" + name + "' is not a JPEG or PNG image");
}

Result<Image> decode_image_bytes(const std::string& bytes, const std::string& name) {
  return decode_image_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
}

Result<Image> decode_image(const std::string& path) {
  EZ_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return decode_image_bytes(bytes, path);
}

Status write_image(const std::string& path, const Image& img, const WriteOptions& options) {
  Result<std::string> bytes = invalid_argument("");
  switch (format_from_extension(path)) {
    case ImageFormat::kPng: bytes = encode_png(img); break;
    case ImageFormat::kJpeg: bytes = encode_jpeg(img, options.jpeg_quality); break;
    case ImageFormat::kUnknown:
      return invalid_argument("cannot tell the image format of '" + path + "': use .png, .jpg or .jpeg");
  }
  if (!bytes.ok()) return bytes.status().with_context("writing '" + path + "'");
  return write_file_atomic(path, *bytes);
}

}  // namespace ez::vision
