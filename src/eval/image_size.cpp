#include "eval/image_size.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

namespace ez::eval {
namespace {

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }

bool read_bytes(std::istream& in, uint8_t* dst, size_t n) {
  in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
  return static_cast<size_t>(in.gcount()) == n;
}

// The EXIF orientation tag (0x0112) of an APP1 payload, or 1 when absent or unreadable.
int exif_orientation(const std::vector<uint8_t>& app1) {
  if (app1.size() < 14 || std::memcmp(app1.data(), "Exif\0\0", 6) != 0) return 1;
  const uint8_t* tiff = app1.data() + 6;
  const size_t size = app1.size() - 6;
  const bool little = tiff[0] == 'I' && tiff[1] == 'I';
  if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
  const auto u16 = [&](size_t at) -> uint32_t { return little ? (tiff[at] | (tiff[at + 1] << 8)) : be16(tiff + at); };
  const auto u32 = [&](size_t at) -> uint32_t {
    return little ? (u16(at) | (u16(at + 2) << 16)) : be32(tiff + at);
  };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd + 2 > size) return 1;
  const size_t count = u16(ifd);
  for (size_t i = 0; i < count; ++i) {
    const size_t e = ifd + 2 + i * 12;
    if (e + 12 > size) return 1;
    if (u16(e) == 0x0112 && u16(e + 2) == 3) return static_cast<int>(u16(e + 8));
  }
  return 1;
}

Result<ImageSize> jpeg_size(std::istream& in, const std::string& name) {
  const auto corrupt = [&](const std::string& what) { return invalid_argument(name + ": corrupt JPEG (" + what + ")"); };
  int orientation = 1;
  while (true) {
    uint8_t b = 0;
    if (!read_bytes(in, &b, 1)) return corrupt("no SOF marker before the end of the file");
    if (b != 0xFF) return corrupt("expected a marker");
    while (b == 0xFF) {  // fill bytes
      if (!read_bytes(in, &b, 1)) return corrupt("truncated marker");
    }
    const uint8_t marker = b;
    if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) return corrupt("image data before any SOF marker");
    uint8_t len_bytes[2];
    if (!read_bytes(in, len_bytes, 2)) return corrupt("truncated segment");
    const uint32_t len = be16(len_bytes);
    if (len < 2) return corrupt("bad segment length");
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof || marker == 0xE1) {
      std::vector<uint8_t> payload(len - 2);
      if (!read_bytes(in, payload.data(), payload.size())) return corrupt("truncated segment");
      if (marker == 0xE1) {
        if (orientation == 1) orientation = exif_orientation(payload);
        continue;
      }
      if (payload.size() < 5) return corrupt("short SOF segment");
      ImageSize s{static_cast<int>(be16(payload.data() + 3)), static_cast<int>(be16(payload.data() + 1))};
      if (s.width == 0 || s.height == 0) return unsupported(name + ": JPEG with the height in a DNL marker");
      if (orientation == 6 || orientation == 8) std::swap(s.width, s.height);
      return s;
    }
    in.seekg(len - 2, std::ios::cur);
    if (!in) return corrupt("truncated segment");
  }
}

}  // namespace

Result<ImageSize> read_image_size(std::istream& in, const std::string& name) {
  uint8_t head[8] = {};
  if (!read_bytes(in, head, 2)) return invalid_argument(name + ": too short to be an image");
  if (head[0] == 0xFF && head[1] == 0xD8) return jpeg_size(in, name);
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (head[0] == kPng[0] && head[1] == kPng[1]) {
    uint8_t rest[22];  // signature tail, IHDR length + type, width, height
    if (!read_bytes(in, rest, sizeof(rest)) || std::memcmp(rest, kPng + 2, 6) != 0 ||
        std::memcmp(rest + 10, "IHDR", 4) != 0) {
      return invalid_argument(name + ": corrupt PNG header");
    }
    const uint32_t w = be32(rest + 14), h = be32(rest + 18);
    if (w == 0 || h == 0 || w > 0x7FFFFFFF || h > 0x7FFFFFFF) return invalid_argument(name + ": bad PNG size");
    return ImageSize{static_cast<int>(w), static_cast<int>(h)};
  }
  return unsupported(name + ": not a JPEG or PNG file (pass an image-size callback for other formats)");
}

Result<ImageSize> read_image_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open '" + path + "': " + std::strerror(errno));
  return read_image_size(in, path);
}

}  // namespace ez::eval
