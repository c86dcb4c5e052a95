#include "zoo/seg/instance_mask.h"

#include <algorithm>
#include <cmath>

#include "zoo/common/float_view.h"

namespace ez::zoo {

int64_t InstanceMask::area() const {
  int64_t n = 0;
  for (uint8_t b : bits) n += b;
  return n;
}

namespace {

// PyTorch's bilinear source index (align_corners = false): pixel centres line up, negatives clamp.
struct Tap {
  int lo, hi;
  float frac;
};
Tap source_tap(int dst, float scale, int src_size) {
  float s = (static_cast<float>(dst) + 0.5f) * scale - 0.5f;
  s = std::max(s, 0.0f);
  const int lo = std::min(static_cast<int>(s), src_size - 1);
  return {lo, std::min(lo + 1, src_size - 1), s - static_cast<float>(lo)};
}

// Pixels px with x1 <= px < x2, clipped to [0, size): the crop rule of Ultralytics' crop_mask.
void pixel_span(float lo, float hi, int size, int* first, int* count) {
  // Clamped as floats first: a NaN or huge coordinate from a broken model must not overflow int.
  auto clamp_to_image = [size](float v) { return std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, static_cast<float>(size)); };
  const int a = static_cast<int>(std::ceil(clamp_to_image(lo)));
  const int b = static_cast<int>(std::ceil(clamp_to_image(hi)));
  *first = a;
  *count = std::max(0, b - a);
}

}  // namespace

Result<std::vector<InstanceMask>> decode_masks(const std::vector<Detection>& detections, const NamedTensor& protos,
                                               int input_w, int input_h) {
  EZ_ASSIGN_OR_RETURN(FloatView view, FloatView::of(protos.tensor, protos.name));
  EZ_RETURN_IF_ERROR(expect_batch_one(view.shape(), 4, protos.name, "[1, coefficients, H/4, W/4]"));
  if (input_w <= 0 || input_h <= 0) return invalid_argument("mask decoding needs the model input size");
  const int channels = static_cast<int>(view.shape()[1]);
  const int mh = static_cast<int>(view.shape()[2]);
  const int mw = static_cast<int>(view.shape()[3]);
  if (channels <= 0 || mh <= 0 || mw <= 0) {
    return invalid_argument("prototypes '" + protos.name + "' " + shape_to_string(view.shape()) + " are empty");
  }
  const int64_t plane = static_cast<int64_t>(mh) * mw;
  const float scale_x = static_cast<float>(mw) / static_cast<float>(input_w);
  const float scale_y = static_cast<float>(mh) / static_cast<float>(input_h);

  std::vector<InstanceMask> masks;
  masks.reserve(detections.size());
  std::vector<float> logits;  // prototype-grid window of the current mask
  for (const Detection& d : detections) {
    if (static_cast<int>(d.extra.size()) != channels) {
      return invalid_argument("a detection carries " + std::to_string(d.extra.size()) + " mask coefficients but '" +
                              protos.name + "' has " + std::to_string(channels) + " prototypes");
    }
    InstanceMask m;
    pixel_span(d.x1, d.x2, input_w, &m.x, &m.width);
    pixel_span(d.y1, d.y2, input_h, &m.y, &m.height);
    m.bits.assign(static_cast<size_t>(m.width) * m.height, 0);
    if (m.width == 0 || m.height == 0) {
      masks.push_back(std::move(m));
      continue;
    }
    // Only the prototype cells the region samples from are combined.
    const int gx0 = source_tap(m.x, scale_x, mw).lo, gx1 = source_tap(m.x + m.width - 1, scale_x, mw).hi;
    const int gy0 = source_tap(m.y, scale_y, mh).lo, gy1 = source_tap(m.y + m.height - 1, scale_y, mh).hi;
    const int ww = gx1 - gx0 + 1;
    logits.assign(static_cast<size_t>(ww) * (gy1 - gy0 + 1), 0.0f);
    for (int c = 0; c < channels; ++c) {
      const float coef = d.extra[c];
      const float* proto = view.data() + c * plane;
      for (int gy = gy0; gy <= gy1; ++gy) {
        for (int gx = gx0; gx <= gx1; ++gx) logits[(gy - gy0) * ww + (gx - gx0)] += coef * proto[gy * mw + gx];
      }
    }
    auto logit_at = [&](int gx, int gy) { return logits[(gy - gy0) * ww + (gx - gx0)]; };
    for (int py = 0; py < m.height; ++py) {
      const Tap ty = source_tap(m.y + py, scale_y, mh);
      for (int px = 0; px < m.width; ++px) {
        const Tap tx = source_tap(m.x + px, scale_x, mw);
        const float top = logit_at(tx.lo, ty.lo) * (1 - tx.frac) + logit_at(tx.hi, ty.lo) * tx.frac;
        const float bottom = logit_at(tx.lo, ty.hi) * (1 - tx.frac) + logit_at(tx.hi, ty.hi) * tx.frac;
        m.bits[static_cast<size_t>(py) * m.width + px] = (top * (1 - ty.frac) + bottom * ty.frac) > 0.0f ? 1 : 0;
      }
    }
    masks.push_back(std::move(m));
  }
  return masks;
}

}  // namespace ez::zoo
