// Recognising single-output heads (plus the prototype output of segmentation) from the shape
// [1, A, B] and the number of prediction positions the input size implies (strides 8/16/32:
// 8400 at 640, 3549 at 416): one prediction a position is anchor-free or YOLOX, three are YOLOv5/v7.
#include <algorithm>

#include "zoo/layout/layout_match.h"
#include "zoo/retinaface/retinaface_decoder.h"

namespace ez::zoo {
namespace {

constexpr int kCocoPoseChannels = 4 + 1 + 17 * 3;  // box, person score, 17 x (x, y, visibility)
constexpr int kCocoAnchorFreeChannels = 4 + 80;

bool is_one_of(const std::optional<Family>& f, std::initializer_list<Family> families) {
  if (!f) return false;
  for (Family x : families) {
    if (*f == x) return true;
  }
  return false;
}

// Whether n predictions fit the (known or inferable) input with `per_cell` predictions a
// position; fills in the input size when it had to be inferred.
bool fits_grid(int64_t n, int per_cell, ModelLayout& layout) {
  if (layout.input_width > 0 && layout.input_height > 0) {
    return n == per_cell * grid_positions(layout.input_width, layout.input_height);
  }
  const int s = infer_square_input(n, per_cell);
  if (s == 0) return false;
  layout.input_width = layout.input_height = s;
  return true;
}

void set_anchor_free(ModelLayout& l, bool channels_first, int64_t channels, int extra_channels, bool pose) {
  l.head = Head::kAnchorFreeFlat;
  l.family = Family::kYolov8;
  l.channels_first = channels_first;
  l.strides = {8, 16, 32};
  if (pose) {
    l.task = Task::kPose;
    l.num_classes = 1;
    l.num_keypoints = static_cast<int>((channels - 5) / 3);
  } else {
    l.num_classes = static_cast<int>(channels - 4 - extra_channels);
  }
}

}  // namespace

std::optional<ModelLayout> match_single_output(const MatchContext& c) {
  const OutputSpec* main = nullptr;
  const OutputSpec* proto = nullptr;
  for (const OutputSpec& o : c.query.outputs) {
    if (o.shape.size() == 3 && !main) {
      main = &o;
    } else if (o.shape.size() == 4 && !proto) {
      proto = &o;
    } else {
      return std::nullopt;
    }
  }
  if (!main || main->shape[0] != 1 || main->shape[1] <= 0 || main->shape[2] <= 0) return std::nullopt;
  const int64_t a = main->shape[1], b = main->shape[2];
  const std::optional<Family>& forced = c.forced;
  ModelLayout l;
  l.input_width = c.query.input_width;
  l.input_height = c.query.input_height;
  l.main_output = main->name;

  if (proto) {  // YOLOv8/11-seg: predictions + prototypes [1, P, H/4, W/4]
    if (forced && !is_one_of(forced, {Family::kYolov8, Family::kYolo11, Family::kPpyoloe})) return std::nullopt;
    if (proto->shape[0] != 1 || proto->shape[1] <= 0) return std::nullopt;
    const int64_t p = proto->shape[1];
    bool channels_first = fits_grid(b, 1, l);
    if (!channels_first && !fits_grid(a, 1, l)) {
      if (!forced) return std::nullopt;
      channels_first = a < b;
    }
    const int64_t channels = channels_first ? a : b;
    if (channels - 4 - p < 1) return std::nullopt;
    set_anchor_free(l, channels_first, channels, static_cast<int>(p), false);
    l.task = Task::kSegment;
    l.num_mask_coeffs = static_cast<int>(p);
    l.extra_output = proto->name;
    return l;
  }

  ModelLayout probe = l;  // fits_grid may fill in the input size; only for this test
  if (b == 6 && (forced == Family::kYolov10 || (!forced && !fits_grid(a, 1, probe) && !fits_grid(a, 3, probe)))) {
    l.head = Head::kEndToEnd;
    l.family = Family::kYolov10;
    l.num_classes = 0;  // not stated by the output
    return l;
  }
  if (forced == Family::kYolov10) return std::nullopt;

  if (b == 16 && (!forced || forced == Family::kRetinaFace)) {
    bool fits = false;
    if (l.input_width > 0 && l.input_height > 0) {
      fits = a == retinaface_prior_count(l.input_width, l.input_height);
    } else if (const int s = infer_square_input(a, 2); s > 0) {
      l.input_width = l.input_height = s;
      fits = true;
    }
    if (fits || forced == Family::kRetinaFace) {
      l.head = Head::kRetinaFace;
      l.family = Family::kRetinaFace;
      l.task = Task::kFace;
      l.num_classes = 1;
      l.strides = {8, 16, 32};
      return l;
    }
  }
  if (forced == Family::kRetinaFace) return std::nullopt;

  if (is_one_of(forced, {Family::kYolox, Family::kYolov5, Family::kYolov7})) {
    if (b < 6) return std::nullopt;
    fits_grid(a, *forced == Family::kYolox ? 1 : 3, l);  // only to infer the input size
    l.head = Head::kObjectnessRows;
    l.family = *forced;
    l.num_classes = static_cast<int>(b - 5);
    l.strides = {8, 16, 32};
    l.anchors_per_scale = *forced == Family::kYolox ? 1 : 3;
    return l;
  }
  const bool hint_pose = lower(c.query.hint).find("pose") != std::string::npos;
  if (forced) {  // yolov8 / yolo11 / ppyoloe: anchor-free, in whichever orientation fits
    bool channels_first = fits_grid(b, 1, l);
    if (!channels_first && !fits_grid(a, 1, l)) channels_first = a < b;
    const int64_t channels = channels_first ? a : b;
    if (channels < 5) return std::nullopt;
    const bool pose = channels > 5 && (channels == kCocoPoseChannels || hint_pose) && (channels - 5) % 3 == 0;
    set_anchor_free(l, channels_first, channels, 0, pose);
    return l;
  }

  // Without the input size, the longer dimension is the prediction count ([1, 84, 8400] must not
  // read as 84 predictions of a 64x64 input).
  const bool size_known = l.input_width > 0 && l.input_height > 0;
  const bool rows_possible = size_known || a >= b;
  const bool columns_possible = size_known || b > a;
  ModelLayout rows = l;
  if (rows_possible && b >= 6 && fits_grid(a, 3, rows)) {  // YOLOv5/v7 framework export
    rows.head = Head::kObjectnessRows;
    rows.family = Family::kYolov5;
    rows.num_classes = static_cast<int>(b - 5);
    rows.strides = {8, 16, 32};
    rows.anchors_per_scale = 3;
    return rows;
  }
  rows = l;
  // A square [1, 84, 84] (a 64x64 input) is read the Ultralytics way, channels-first, below.
  const bool square_anchor_free = a == b && b == kCocoAnchorFreeChannels;
  if (rows_possible && !square_anchor_free && b >= 6 && fits_grid(a, 1, rows)) {
    // Rows at one prediction a position: YOLOX, or a transposed anchor-free export. Only the
    // channel count can tell them apart: 84 = 4 + 80 COCO classes without objectness, 56 = pose.
    const bool pose = b == kCocoPoseChannels || (hint_pose && (b - 5) % 3 == 0);
    if (b == kCocoAnchorFreeChannels || pose) {
      set_anchor_free(rows, false, b, 0, pose);
      return rows;
    }
    rows.head = Head::kObjectnessRows;
    rows.family = Family::kYolox;
    rows.num_classes = static_cast<int>(b - 5);
    rows.strides = {8, 16, 32};
    rows.anchors_per_scale = 1;
    return rows;
  }
  rows = l;
  if (columns_possible && a >= 5 && fits_grid(b, 1, rows)) {  // Ultralytics channels-first
    const bool pose = a > 5 && (a == kCocoPoseChannels || hint_pose) && (a - 5) % 3 == 0;
    set_anchor_free(rows, true, a, 0, pose);
    return rows;
  }
  // A text-line input (LPRNet 94x24, PP-OCR rec 320x48) with one [1, A, B] output: a CTC recogniser.
  if (l.input_width > 0 && l.input_height > 0 && l.input_height <= 64 && l.input_width >= 2 * l.input_height) {
    l.head = Head::kCtc;
    l.family = Family::kCtcText;
    l.task = Task::kText;
    l.channels_first = a > b;  // classes usually outnumber time steps
    l.num_classes = static_cast<int>(std::max(a, b));
    return l;
  }
  return std::nullopt;
}

}  // namespace ez::zoo
