// Letterbox: scale an image to fit a network input keeping its aspect ratio, pad the rest with a
// constant gray, and remember how to map network coordinates back (Ultralytics' LetterBox rules:
// r = min(tw/w, th/h), resized size = round(w*r) x round(h*r), centred padding split with the
// odd pixel going to the right/bottom).
#pragma once

#include "core/status.h"
#include "vision/image.h"
#include "vision/resize.h"

namespace ez::vision {

struct LetterboxParams {
  int target_w = 640;
  int target_h = 640;
  uint8_t fill = 114;
  bool center = true;   // false: image at the top-left, padding right and bottom only
  bool scaleup = true;  // false: never enlarge (only shrink), as for validation in Ultralytics
};

struct LetterboxInfo {
  float scale = 1;  // network pixels per original pixel
  float pad_x = 0;  // left padding in network pixels
  float pad_y = 0;  // top padding in network pixels
  int src_w = 0, src_h = 0;          // original image size (for clipping)
  int resized_w = 0, resized_h = 0;  // size of the image content inside the canvas
};

struct BoxF {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

struct Letterboxed {
  Image image;
  LetterboxInfo info;
};

// Only the geometry (no pixels): what letterbox() would do to a src_w x src_h image.
Result<LetterboxInfo> letterbox_geometry(int src_w, int src_h, const LetterboxParams& params);

// The target-size canvas all in the fill value, reusing `canvas`'s memory when it already has
// that size (the first step of letterbox_into and of the streamed letterbox).
void prepare_canvas(const LetterboxParams& params, int channels, Image* canvas);

Result<Letterboxed> letterbox(const Image& src, const LetterboxParams& params,
                              ResizeMethod method = ResizeMethod::kAuto);
// Same, reusing `dst`'s memory when it already has the target size (for per-frame loops); the
// resize runs on `pool`'s threads when one is given.
Status letterbox_into(const Image& src, const LetterboxParams& params, Image* dst, LetterboxInfo* info,
                      ResizeMethod method = ResizeMethod::kAuto, const ThreadPool* pool = nullptr);

// Network coordinates -> original image coordinates, clipped to [0, src_w] x [0, src_h].
BoxF map_box_to_original(const BoxF& box, const LetterboxInfo& info);
// A single point (keypoints, polygon corners), unclipped.
void map_point_to_original(float* x, float* y, const LetterboxInfo& info);

}  // namespace ez::vision
