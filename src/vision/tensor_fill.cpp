#include "vision/tensor_fill.h"

#include <cstddef>
#include <string>

namespace ez::vision {

Status write_input_tensor(const Image& img, float* dst, const TensorFillParams& p, const ThreadPool* pool) {
  EZ_RETURN_IF_ERROR(check_image(img, "write_input_tensor"));
  if (!dst) return invalid_argument("write_input_tensor: null destination");
  const int ch = img.channels;
  for (int c = 0; c < ch; ++c)
    if (p.std[c] == 0) return invalid_argument("write_input_tensor: std[" + std::to_string(c) + "] is zero");
  // A 256-entry table per tensor channel: exactly (pix * scale - mean) / std, and one load per
  // value in the loop instead of a multiply, subtract and divide.
  float lut[3][256];
  for (int c = 0; c < ch; ++c)
    for (int v = 0; v < 256; ++v) lut[c][v] = (static_cast<float>(v) * p.scale - p.mean[c]) / p.std[c];
  // src_of[c]: which interleaved image channel feeds tensor channel c.
  int src_of[3] = {0, 1, 2};
  if (ch == 3 && p.order == ChannelOrder::kBGR) src_of[0] = 2, src_of[2] = 0;

  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  const uint8_t* src = img.pixels.data();
  const int a = src_of[0], b = src_of[1], c = src_of[2];
  // Pixels [begin, end) of every plane.
  auto fill = [&](int64_t begin, int64_t end) {
    const uint8_t* s = src + begin * ch;
    if (ch == 1) {
      for (int64_t i = begin; i < end; ++i, ++s) dst[i] = lut[0][*s];
    } else if (p.layout == TensorLayout::kNCHW) {
      float* d0 = dst;
      float* d1 = dst + plane;
      float* d2 = dst + 2 * plane;
      for (int64_t i = begin; i < end; ++i, s += 3) {
        d0[i] = lut[0][s[a]];
        d1[i] = lut[1][s[b]];
        d2[i] = lut[2][s[c]];
      }
    } else {
      float* d = dst + begin * 3;
      for (int64_t i = begin; i < end; ++i, s += 3, d += 3) {
        d[0] = lut[0][s[a]];
        d[1] = lut[1][s[b]];
        d[2] = lut[2][s[c]];
      }
    }
  };
  if (pool) pool->parallel_for(plane, 16384, fill);
  else fill(0, plane);
  return Status::OK();
}

}  // namespace ez::vision
