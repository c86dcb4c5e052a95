// The zoo's front door: model outputs (tensors + names) and their layout in, detections out.
//   auto layout = detect_layout({output_specs(outputs), 640, 640});
//   auto result = decode_detections(outputs, *layout, options);   // boxes in model-input pixels
// Decoding never fails on suspicious values; it returns warnings (diagnostics.h) instead.
#pragma once

#include <string>
#include <vector>

#include "zoo/common/detection.h"
#include "zoo/common/letterbox_mapping.h"
#include "zoo/layout/model_layout.h"

namespace ez::zoo {

std::vector<OutputSpec> output_specs(const std::vector<NamedTensor>& outputs);

// The family decoder alone: every candidate above the threshold, before NMS.
Result<Candidates> decode_candidates(const std::vector<NamedTensor>& outputs, const ModelLayout& layout,
                                     const DecodeOptions& options);

// Diagnostics and NMS (or, for NMS-free heads, the sort and max_det cut).
DecodeResult finish_detections(Candidates candidates, const ModelLayout& layout, const DecodeOptions& options);

// Class names to show when the user gives no label file: COCO's 80 for 80-class detectors,
// "person" for pose heads, "face" for face detectors; empty otherwise ("class N" is printed).
std::vector<std::string> default_labels(const ModelLayout& layout);

// Which extras of this layout's detections are points (for map_to_image).
ExtraPoints extra_points(const ModelLayout& layout);

Result<DecodeResult> decode_detections(const std::vector<NamedTensor>& outputs, const ModelLayout& layout,
                                       const DecodeOptions& options);

}  // namespace ez::zoo
