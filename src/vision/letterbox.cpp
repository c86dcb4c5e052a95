#include "vision/letterbox.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace ez::vision {

Result<LetterboxInfo> letterbox_geometry(int src_w, int src_h, const LetterboxParams& p) {
  if (src_w <= 0 || src_h <= 0)
    return invalid_argument("letterbox: empty source image (" + std::to_string(src_w) + "x" + std::to_string(src_h) + ")");
  if (p.target_w <= 0 || p.target_h <= 0)
    return invalid_argument("letterbox: target size " + std::to_string(p.target_w) + "x" + std::to_string(p.target_h) +
                            " must be positive");
  double r = std::min(static_cast<double>(p.target_h) / src_h, static_cast<double>(p.target_w) / src_w);
  if (!p.scaleup) r = std::min(r, 1.0);
  LetterboxInfo info;
  info.src_w = src_w;
  info.src_h = src_h;
  // nearbyint rounds half to even, as Python's round() in Ultralytics does; at least 1 pixel is
  // kept for extreme aspect ratios.
  info.resized_w = std::clamp(static_cast<int>(std::nearbyint(src_w * r)), 1, p.target_w);
  info.resized_h = std::clamp(static_cast<int>(std::nearbyint(src_h * r)), 1, p.target_h);
  const int dw = p.target_w - info.resized_w;
  const int dh = p.target_h - info.resized_h;
  // Ultralytics: left = round(dw/2 - 0.1): the odd pixel of padding goes right / bottom.
  info.pad_x = p.center ? static_cast<float>(dw / 2) : 0.f;
  info.pad_y = p.center ? static_cast<float>(dh / 2) : 0.f;
  info.scale = static_cast<float>(r);
  return info;
}

void prepare_canvas(const LetterboxParams& p, int channels, Image* canvas) {
  if (canvas->width != p.target_w || canvas->height != p.target_h || canvas->channels != channels ||
      canvas->pixels.size() != static_cast<size_t>(p.target_w) * p.target_h * channels) {
    *canvas = Image(p.target_w, p.target_h, channels, p.fill);
  } else {
    std::memset(canvas->pixels.data(), p.fill, canvas->pixels.size());
  }
}

Status letterbox_into(const Image& src, const LetterboxParams& p, Image* dst, LetterboxInfo* info, ResizeMethod method,
                      const ThreadPool* pool) {
  EZ_RETURN_IF_ERROR(check_image(src, "letterbox"));
  if (dst == &src) return invalid_argument("letterbox: the output image must not be the input image");
  EZ_ASSIGN_OR_RETURN(LetterboxInfo g, letterbox_geometry(src.width, src.height, p));
  prepare_canvas(p, src.channels, dst);
  const int px = static_cast<int>(g.pad_x), py = static_cast<int>(g.pad_y);
  EZ_RETURN_IF_ERROR(resize_bilinear_into(src, dst->at(px, py), static_cast<int>(dst->row_bytes()), g.resized_w,
                                          g.resized_h, method, pool));
  *info = g;
  return Status::OK();
}

Result<Letterboxed> letterbox(const Image& src, const LetterboxParams& params, ResizeMethod method) {
  Letterboxed out;
  EZ_RETURN_IF_ERROR(letterbox_into(src, params, &out.image, &out.info, method));
  return out;
}

void map_point_to_original(float* x, float* y, const LetterboxInfo& info) {
  *x = (*x - info.pad_x) / info.scale;
  *y = (*y - info.pad_y) / info.scale;
}

BoxF map_box_to_original(const BoxF& box, const LetterboxInfo& info) {
  BoxF b = box;
  map_point_to_original(&b.x1, &b.y1, info);
  map_point_to_original(&b.x2, &b.y2, info);
  const float w = static_cast<float>(info.src_w), h = static_cast<float>(info.src_h);
  b.x1 = std::clamp(b.x1, 0.f, w);
  b.x2 = std::clamp(b.x2, 0.f, w);
  b.y1 = std::clamp(b.y1, 0.f, h);
  b.y2 = std::clamp(b.y2, 0.f, h);
  return b;
}

}  // namespace ez::vision
