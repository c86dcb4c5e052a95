#include "vision/tensor_fill.h"

#include <cstddef>
#include <string>

namespace ez::vision {

Result<TensorFiller> TensorFiller::create(const TensorFillParams& p, int channels) {
  if (channels != 1 && channels != 3)
    return invalid_argument("write_input_tensor: " + std::to_string(channels) + " channels (1 or 3 expected)");
  for (int c = 0; c < channels; ++c)
    if (p.std[c] == 0) return invalid_argument("write_input_tensor: std[" + std::to_string(c) + "] is zero");
  TensorFiller f;
  f.channels_ = channels;
  f.layout_ = p.layout;
  // A 256-entry table per tensor channel: exactly (pix * scale - mean) / std, and one load per
  // value in the loop instead of a multiply, subtract and divide.
  for (int c = 0; c < channels; ++c)
    for (int v = 0; v < 256; ++v) f.lut_[c][v] = (static_cast<float>(v) * p.scale - p.mean[c]) / p.std[c];
  // src_of_[c]: which interleaved image channel feeds tensor channel c.
  if (channels == 3 && p.order == ChannelOrder::kBGR) f.src_of_[0] = 2, f.src_of_[2] = 0;
  return f;
}

void TensorFiller::fill_pixels(const Image& img, float* dst, int64_t begin, int64_t end) const {
  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  const int ch = channels_, a = src_of_[0], b = src_of_[1], c = src_of_[2];
  const uint8_t* s = img.pixels.data() + begin * ch;
  if (ch == 1) {
    for (int64_t i = begin; i < end; ++i, ++s) dst[i] = lut_[0][*s];
  } else if (layout_ == TensorLayout::kNCHW) {
    float* d0 = dst;
    float* d1 = dst + plane;
    float* d2 = dst + 2 * plane;
    for (int64_t i = begin; i < end; ++i, s += 3) {
      d0[i] = lut_[0][s[a]];
      d1[i] = lut_[1][s[b]];
      d2[i] = lut_[2][s[c]];
    }
  } else {
    float* d = dst + begin * 3;
    for (int64_t i = begin; i < end; ++i, s += 3, d += 3) {
      d[0] = lut_[0][s[a]];
      d[1] = lut_[1][s[b]];
      d[2] = lut_[2][s[c]];
    }
  }
}

void TensorFiller::fill_rows(const Image& img, float* dst, int y0, int y1) const {
  fill_pixels(img, dst, static_cast<int64_t>(y0) * img.width, static_cast<int64_t>(y1) * img.width);
}

Status write_input_tensor(const Image& img, float* dst, const TensorFillParams& p, const ThreadPool* pool) {
  EZ_RETURN_IF_ERROR(check_image(img, "write_input_tensor"));
  if (!dst) return invalid_argument("write_input_tensor: null destination");
  EZ_ASSIGN_OR_RETURN(TensorFiller f, TensorFiller::create(p, img.channels));
  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  auto fill = [&](int64_t begin, int64_t end) { f.fill_pixels(img, dst, begin, end); };
  if (pool) pool->parallel_for(plane, 16384, fill);
  else fill(0, plane);
  return Status::OK();
}

}  // namespace ez::vision
