// What every zoo decoder produces, and the options they share. Boxes are corners in MODEL-INPUT
// pixels (before any letterbox is undone), so decoders never need to know about the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ez::zoo {

struct Detection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // corners in model-input pixels
  float score = 0;
  int class_id = 0;
  // Per-family payload carried through NMS: segmentation mask coefficients, or pose keypoints
  // as (x, y, visibility) triples in model-input pixels, or face landmarks as (x, y) pairs.
  std::vector<float> extra;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
};

// A diagnosis of suspicious model outputs or options, with advice. Decoding still succeeds.
struct Warning {
  std::string code;     // stable identifier (tests, JSON): see diagnostics.h
  std::string message;  // what was seen, what it probably means, what to do
};

// A model output as the runtime hands it over: its graph name and its value.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct DecodeOptions {
  float conf_threshold = 0.25f;  // keep candidates whose score is at least this
  float iou_threshold = 0.45f;   // NMS: suppress a box overlapping a better one by more than this
  int max_det = 300;             // at most this many detections after NMS (<= 0: no limit)
  int max_candidates = 30000;    // best candidates kept before NMS: bounds its quadratic cost
  bool agnostic_nms = false;     // NMS across classes instead of per class
  bool multi_label = false;      // every class above the threshold is a candidate (mAP evaluation)
  // Anchor-based split heads (YOLOv5/v7): 3 scales x 3 anchors x (w, h) in input pixels, smallest
  // stride first. Empty: the family's default anchors.
  std::vector<float> anchors;
  // YOLOX exports differ in whether grid offsets and exp() are applied in the graph.
  enum class BoxEncoding { kAuto, kRaw, kDecoded };
  BoxEncoding yolox_boxes = BoxEncoding::kAuto;
};

// Pre-NMS output of a decoder plus the statistics the diagnostics need.
struct Candidates {
  std::vector<Detection> boxes;  // every candidate at or above the threshold
  int64_t positions = 0;         // predictions examined (cells x anchors)
  int64_t passed = 0;            // predictions with some score at or above the threshold
  float max_score = 0;           // the best score anywhere, thresholded or not
  bool needs_nms = true;         // false for NMS-free heads (YOLOv10)
  std::vector<Warning> warnings; // found while decoding (e.g. a missing sigmoid)
};

struct DecodeResult {
  std::vector<Detection> detections;  // after NMS, best first
  std::vector<Warning> warnings;
};

}  // namespace ez::zoo
