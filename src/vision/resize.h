// Bilinear resize of 8-bit images, sampling at pixel centres as OpenCV's INTER_LINEAR does
// (src = (dst + 0.5) * src_size / dst_size - 0.5, clamped at the borders), which is what the
// models in the zoo were trained with.
#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "core/thread_pool.h"
#include "vision/image.h"

namespace ez::vision {

enum class ResizeMethod {
  kAuto,       // currently kReference (see resize.cpp for the measurements behind the choice)
  kReference,  // plain C++ fixed-point bilinear, bit-identical to cv2.resize(INTER_LINEAR)
  kLibyuv,     // libyuv RGBScale / ScalePlane, kFilterBilinear: ~3-5x faster, within 4 levels
               // of cv2 when shrinking, but corner-aligned (different) when enlarging
};

const char* resize_method_name(ResizeMethod m);

Result<Image> resize_bilinear(const Image& src, int dst_width, int dst_height, ResizeMethod method = ResizeMethod::kAuto);

// Writes the resized image into caller memory: dst_height rows of dst_width * src.channels bytes,
// `dst_stride` bytes apart (lets the letterbox resize straight into its padded canvas). With a
// pool, the reference method splits the rows between its threads (same pixels as without).
Status resize_bilinear_into(const Image& src, uint8_t* dst, int dst_stride, int dst_width, int dst_height,
                            ResizeMethod method = ResizeMethod::kAuto, const ThreadPool* pool = nullptr);

// The reference resize a band of output rows at a time, for sources that arrive a band at a
// time (a JPEG being decoded, see letterbox_stream.h). Bands may be computed in any order and on
// any thread; together they equal resize_bilinear(..., kReference) pixel for pixel.
class BandResizer {
 public:
  BandResizer(int src_w, int src_h, int dst_w, int dst_h);
  // How many source rows (from the top) output rows [0, y_end) read.
  int source_rows_for(int y_end) const;
  // Output rows [y0, y1) into dst, the top of the whole output (row y at dst + y * dst_stride);
  // src must hold the source rows they read.
  void run(const Image& src, uint8_t* dst, int dst_stride, int y0, int y1) const;

 private:
  struct Taps;
  std::shared_ptr<const Taps> taps_;
};

}  // namespace ez::vision
