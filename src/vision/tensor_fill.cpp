#include "vision/tensor_fill.h"

#include <cstddef>
#include <string>

namespace ez::vision {

Status write_input_tensor(const Image& img, float* dst, const TensorFillParams& p) {
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

  const size_t plane = static_cast<size_t>(img.width) * img.height;
  const uint8_t* s = img.pixels.data();
  if (ch == 1) {
    for (size_t i = 0; i < plane; ++i) dst[i] = lut[0][s[i]];
  } else if (p.layout == TensorLayout::kNCHW) {
    float* d0 = dst;
    float* d1 = dst + plane;
    float* d2 = dst + 2 * plane;
    const int a = src_of[0], b = src_of[1], c = src_of[2];
    for (size_t i = 0; i < plane; ++i, s += 3) {
      d0[i] = lut[0][s[a]];
      d1[i] = lut[1][s[b]];
      d2[i] = lut[2][s[c]];
    }
  } else {
    const int a = src_of[0], b = src_of[1], c = src_of[2];
    for (size_t i = 0; i < plane; ++i, s += 3, dst += 3) {
      dst[0] = lut[0][s[a]];
      dst[1] = lut[1][s[b]];
      dst[2] = lut[2][s[c]];
    }
  }
  return Status::OK();
}

}  // namespace ez::vision
