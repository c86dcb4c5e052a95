// JPEG through the libjpeg API (libjpeg-turbo on Debian). libjpeg reports fatal errors by calling
// error_exit, which by default calls exit(); we longjmp back instead and return a Status. Only
// C-style state lives between setjmp and a possible longjmp, and every C++ object used there is
// constructed before setjmp, so no destructor is skipped.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <jerror.h>

#include "vision/image_io.h"

namespace ez::vision {
namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (level -1) are corrupt-data notices; libjpeg carries on and fills missing data with
// gray. A premature end of data means the file is truncated: we refuse it rather than return a
// half-gray image. Other warnings (e.g. stray bytes before a marker) are tolerated, as most
// decoders do. Trace messages (level >= 0) are ignored. Nothing is ever printed.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (cinfo->err->msg_code == JWRN_JPEG_EOF && !err->truncated) {
    err->truncated = true;
    (*cinfo->err->format_message)(cinfo, err->message);
  }
  cinfo->err->num_warnings++;
}

void init_error(JpegError* err) {
  jpeg_std_error(&err->mgr);
  err->mgr.error_exit = on_error;
  err->mgr.emit_message = on_message;
  err->message[0] = '\0';
  err->truncated = false;
}

// Adobe CMYK JPEGs store inverted values; R = C*K/255 etc. (the same formula OpenCV uses).
void cmyk_row_to_rgb(const uint8_t* cmyk, uint8_t* rgb, int width) {
  for (int x = 0; x < width; ++x) {
    const int k = cmyk[4 * x + 3];
    for (int c = 0; c < 3; ++c) rgb[3 * x + c] = static_cast<uint8_t>((cmyk[4 * x + c] * k + 127) / 255);
  }
}

}  // namespace

Status decode_jpeg_into(const uint8_t* data, size_t size, const std::string& name, Image* out, const JpegRowHook* hook) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  Image& img = *out;         // the caller's, constructed before setjmp (see the file comment)
  std::vector<uint8_t> cmyk_row;
  init_error(&err);
  cinfo.err = &err.mgr;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return io_error("'" + name + "' is a corrupt JPEG image: " + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > kMaxImagePixels) {
    const std::string dims = std::to_string(cinfo.image_width) + "x" + std::to_string(cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return invalid_argument("'" + name + "' is too large to decode (" + dims + " pixels)");
  }
  jpeg_start_decompress(&cinfo);
  const int width = static_cast<int>(cinfo.output_width);
  const int height = static_cast<int>(cinfo.output_height);
  img = Image(width, height, 3);
  if (hook && hook->started) hook->started(img);
  if (cmyk) cmyk_row.resize(static_cast<size_t>(width) * 4);
  constexpr int kBatch = 16;  // rows between progress calls
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    JSAMPROW row = cmyk ? cmyk_row.data() : img.row(y);
    jpeg_read_scanlines(&cinfo, &row, 1);
    if (cmyk) cmyk_row_to_rgb(cmyk_row.data(), img.row(y), width);
    const int done = static_cast<int>(cinfo.output_scanline);
    if (hook && hook->rows && (done % kBatch == 0 || done == height)) hook->rows(done);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (err.truncated) return io_error("'" + name + "' is a truncated JPEG image: " + err.message);
  return Status::OK();
}

Result<Image> decode_jpeg(const uint8_t* data, size_t size, const std::string& name) {
  Image img;
  EZ_RETURN_IF_ERROR(decode_jpeg_into(data, size, name, &img, nullptr));
  return img;
}

Result<std::string> encode_jpeg(const Image& img, int quality) {
  EZ_RETURN_IF_ERROR(check_image(img, "encode_jpeg"));
  if (quality < 1 || quality > 100)
    return invalid_argument("JPEG quality " + std::to_string(quality) + " is outside 1..100");
  jpeg_compress_struct cinfo;
  JpegError err;
  unsigned char* buffer = nullptr;  // malloc'ed by libjpeg's memory destination
  unsigned long buffer_size = 0;
  std::string out;
  init_error(&err);
  cinfo.err = &err.mgr;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return internal_error(std::string("JPEG encoder failed: ") + err.message);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &buffer_size);
  cinfo.image_width = static_cast<JDIMENSION>(img.width);
  cinfo.image_height = static_cast<JDIMENSION>(img.height);
  cinfo.input_components = img.channels;
  cinfo.in_color_space = img.channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg takes non-const rows but does not write to them.
    JSAMPROW row = const_cast<uint8_t*>(img.row(static_cast<int>(cinfo.next_scanline)));
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  out.assign(reinterpret_cast<const char*>(buffer), buffer_size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

}  // namespace ez::vision
