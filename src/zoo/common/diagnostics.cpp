#include "zoo/common/diagnostics.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace ez::zoo {
namespace {

// Probabilities that went through int8/half arithmetic may overshoot [0,1] by a rounding step.
constexpr float kProbabilitySlack = 0.01f;
// Below this many candidates a median size says little.
constexpr size_t kMinBoxesForSizeCheck = 5;
// A typical box this many times the input size cannot be a real object.
constexpr float kHugeBoxRatio = 1.5f;
// A typical box this small (largest side, input pixels) is not a real detection either.
constexpr float kTinyBoxPixels = 2.0f;
// A threshold this high is a display threshold, not an evaluation one.
constexpr float kDisplayThreshold = 0.1f;

// A number for a message: "%.3g"-style (0.001, 25200, 1.5e+03 is avoided for counts below 1e6).
std::string num(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", v >= 1000 && v < 1e6 ? 7 : digits, v);
  return buf;
}

float median(std::vector<float> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  return v[mid];
}

}  // namespace

bool looks_like_logits(const ValueRange& range) {
  return !range.empty() && (range.min < -kProbabilitySlack || range.max > 1.0f + kProbabilitySlack);
}

Warning logits_warning(const char* what, const ValueRange& range) {
  return {"scores_not_sigmoided",
          std::string(what) + " range from " + num(range.min) + " to " + num(range.max) +
              ", outside [0,1]: the export dropped the final sigmoid (raw logits). edgezoo applies the sigmoid "
              "while decoding; re-export with it to save this step."};
}

std::vector<Warning> check_scores_all_zero(float max_score) {
  if (max_score > 0.0f) return {};
  return {{"scores_all_zero",
           "every score in the output is zero: nothing can be detected. Check that the input was normalised as "
           "this model expects (0-1 vs 0-255, RGB vs BGR), that the input tensor was really filled, and that the "
           "model's head is intact (e.g. a quantized output whose scale collapsed to zero)."}};
}

std::vector<Warning> check_candidate_flood(int64_t passed, int64_t positions, float conf_threshold) {
  if (positions <= 0 || static_cast<double>(passed) <= kFloodFraction * static_cast<double>(positions)) return {};
  const std::string seen = "confidence threshold " + num(conf_threshold) + " lets " + num(static_cast<double>(passed)) +
                           " of " + num(static_cast<double>(positions)) + " predictions (" +
                           num(100.0 * static_cast<double>(passed) / static_cast<double>(positions), 2) +
                           "%) through to NMS: ";
  // At a display threshold, so many confident predictions mean the scores themselves are wrong.
  if (conf_threshold >= kDisplayThreshold) {
    return {{"candidate_flood", seen + "real images rarely have that many confident predictions. The input is "
                                       "probably not normalised as the model expects (0-1 vs 0-255, RGB vs BGR, "
                                       "mean/std), or the outputs are not the layout assumed (check --family)."}};
  }
  return {{"candidate_flood", seen + "NMS becomes slow and the output noisy. Use about 0.25 for display; "
                                     "thresholds near 0.001 are meant for mAP evaluation only (max_det bounds "
                                     "the output)."}};
}

std::vector<Warning> check_box_sizes(const std::vector<Detection>& candidates, int input_w, int input_h) {
  if (candidates.size() < kMinBoxesForSizeCheck || input_w <= 0 || input_h <= 0) return {};
  std::vector<float> relative, pixels;
  relative.reserve(candidates.size());
  pixels.reserve(candidates.size());
  for (const Detection& d : candidates) {
    relative.push_back(std::max(d.width() / static_cast<float>(input_w), d.height() / static_cast<float>(input_h)));
    pixels.push_back(std::max(d.width(), d.height()));
  }
  const float typical_relative = median(relative);
  const float typical_pixels = median(pixels);
  if (typical_relative > kHugeBoxRatio) {
    return {{"boxes_too_large",
             "the typical candidate box is " + num(typical_relative, 2) + "x the " + std::to_string(input_w) + "x" +
                 std::to_string(input_h) +
                 " model input: the box decoding does not match this model (anchors for another model or input "
                 "size, boxes decoded twice, or the wrong --family)."}};
  }
  if (typical_pixels < kTinyBoxPixels) {
    return {{"boxes_too_small",
             "the typical candidate box is " + num(typical_pixels, 2) +
                 " px across: the box decoding does not match this model (anchors in grid units instead of input "
                 "pixels, raw outputs read as decoded boxes, or the wrong --family)."}};
  }
  return {};
}

std::vector<Warning> check_anchor_units(const std::vector<float>& anchors, const std::vector<int>& strides) {
  if (anchors.empty() || strides.empty() || anchors.size() % (2 * strides.size()) != 0) return {};
  // In input pixels the anchors of the coarsest scale are larger than its stride (YOLOv5: 116..373
  // px at stride 32); in grid units they are a few cells, i.e. smaller than the stride.
  const size_t per_scale = anchors.size() / strides.size();
  const float largest_last = *std::max_element(anchors.end() - static_cast<long>(per_scale), anchors.end());
  if (largest_last >= static_cast<float>(strides.back())) return {};
  return {{"anchors_in_grid_units",
           "the anchors of the stride-" + std::to_string(strides.back()) + " scale are at most " + num(largest_last) +
               ", smaller than one grid cell: they look like grid units. edgezoo expects anchors in input pixels "
               "(multiply each scale's anchors by its stride, e.g. 8/16/32)."}};
}

std::vector<Warning> diagnose_candidates(const Candidates& candidates, float conf_threshold, int input_w,
                                         int input_h) {
  std::vector<Warning> out = candidates.warnings;
  auto append = [&](std::vector<Warning> more) { out.insert(out.end(), more.begin(), more.end()); };
  append(check_scores_all_zero(candidates.max_score));
  // An NMS-free head already returns a fixed short list; nothing floods.
  if (candidates.needs_nms) append(check_candidate_flood(candidates.passed, candidates.positions, conf_threshold));
  append(check_box_sizes(candidates.boxes, input_w, input_h));
  return out;
}

}  // namespace ez::zoo
