// PNG through libpng. libpng reports errors by longjmp to png_jmpbuf; as in jpeg_codec.cpp every
// C++ object used across setjmp is constructed before it, so no destructor is skipped.
#include <png.h>

#include <cstring>
#include <string>
#include <vector>

#include "vision/image_io.h"

namespace ez::vision {
namespace {

struct PngReader {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[256];
};

struct PngWriter {
  std::string* out;
  char message[256];
};

void copy_message(char* dst, const char* msg) {
  std::strncpy(dst, msg ? msg : "unknown error", 255);
  dst[255] = '\0';
}

[[noreturn]] void on_read_error(png_structp png, png_const_charp msg) {
  copy_message(static_cast<PngReader*>(png_get_error_ptr(png))->message, msg);
  png_longjmp(png, 1);
}
[[noreturn]] void on_write_error(png_structp png, png_const_charp msg) {
  copy_message(static_cast<PngWriter*>(png_get_error_ptr(png))->message, msg);
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}  // warnings (bad ancillary chunks) are not fatal

void read_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "unexpected end of data (truncated file)");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

void write_bytes(png_structp png, png_bytep data, png_size_t n) {
  auto* w = static_cast<PngWriter*>(png_get_io_ptr(png));
  w->out->append(reinterpret_cast<const char*>(data), n);
}
void flush_nothing(png_structp) {}

}  // namespace

Result<Image> decode_png(const uint8_t* data, size_t size, const std::string& name) {
  PngReader reader{data, size, 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_read_error, on_warning);
  if (!png) return internal_error("cannot create a PNG reader");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return internal_error("cannot create a PNG reader");
  }
  Image img;  // constructed before setjmp
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return io_error("'" + name + "' is a corrupt PNG image: " + reader.message);
  }
  png_set_read_fn(png, &reader, read_bytes);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  if (static_cast<int64_t>(width) * height > kMaxImagePixels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return invalid_argument("'" + name + "' is too large to decode (" + std::to_string(width) + "x" +
                            std::to_string(height) + " pixels)");
  }
  // Everything to 8-bit RGB: palette -> RGB, gray < 8 bit -> 8 bit, 16 -> 8 bit (high byte, as
  // OpenCV does), gray -> RGB, alpha (and tRNS transparency) dropped.
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8)
    png_error(png, "unexpected pixel format after conversion to RGB8");
  img = Image(static_cast<int>(width), static_cast<int>(height), 3);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = img.row(static_cast<int>(y));
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return img;
}

Result<std::string> encode_png(const Image& img) {
  EZ_RETURN_IF_ERROR(check_image(img, "encode_png"));
  std::string out;
  PngWriter writer{&out, {}};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, on_write_error, on_warning);
  if (!png) return internal_error("cannot create a PNG writer");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return internal_error("cannot create a PNG writer");
  }
  std::vector<png_bytep> rows(static_cast<size_t>(img.height));
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return internal_error(std::string("PNG encoder failed: ") + writer.message);
  }
  png_set_write_fn(png, &writer, write_bytes, flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), 8,
               img.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  for (int y = 0; y < img.height; ++y) rows[static_cast<size_t>(y)] = const_cast<uint8_t*>(img.row(y));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace ez::vision
