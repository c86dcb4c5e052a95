#include "zoo/detector.h"

#include <algorithm>

#include "zoo/common/diagnostics.h"
#include "zoo/common/labels.h"
#include "zoo/common/nms.h"
#include "zoo/ppyoloe/ppyoloe_decoder.h"
#include "zoo/retinaface/retinaface_decoder.h"
#include "zoo/yolov10/yolov10_decoder.h"
#include "zoo/yolov5/anchors.h"
#include "zoo/yolov5/yolov5_decoder.h"
#include "zoo/yolov8/anchor_free_flat.h"
#include "zoo/yolov8/dfl_split_head.h"
#include "zoo/yolox/yolox_decoder.h"

namespace ez::zoo {
namespace {

// Outputs are looked up by name, so the caller's output order does not matter.
Result<const NamedTensor*> find(const std::vector<NamedTensor>& outputs, const std::string& name) {
  for (const NamedTensor& t : outputs) {
    if (t.name == name) return &t;
  }
  std::string have;
  for (const NamedTensor& t : outputs) have += (have.empty() ? "'" : ", '") + t.name + "'";
  return not_found("the layout names output '" + name + "' but the model gave " + (have.empty() ? "none" : have));
}

Result<const NamedTensor*> find_optional(const std::vector<NamedTensor>& outputs, const std::string& name) {
  if (name.empty()) return static_cast<const NamedTensor*>(nullptr);
  return find(outputs, name);
}

}  // namespace

std::vector<OutputSpec> output_specs(const std::vector<NamedTensor>& outputs) {
  std::vector<OutputSpec> specs;
  for (const NamedTensor& t : outputs) specs.push_back({t.name, t.tensor.shape()});
  return specs;
}

Result<Candidates> decode_candidates(const std::vector<NamedTensor>& outputs, const ModelLayout& layout,
                                     const DecodeOptions& options) {
  switch (layout.head) {
    case Head::kObjectnessRows: {
      EZ_ASSIGN_OR_RETURN(const NamedTensor* out, find(outputs, layout.main_output));
      if (layout.family == Family::kYolox) return decode_yolox(*out, layout.input_width, layout.input_height, options);
      return decode_yolov5_rows(*out, options);
    }
    case Head::kAnchorSplit: {
      std::vector<AnchorHeadOutput> heads;
      for (const ScaleRoles& s : layout.scales) {
        EZ_ASSIGN_OR_RETURN(const NamedTensor* head, find(outputs, s.box));
        heads.push_back({head, s.stride});
      }
      const std::vector<float>& anchors =
          !options.anchors.empty() ? options.anchors
          : layout.family == Family::kYolov7 ? default_yolov7_anchors() : default_yolov5_anchors();
      return decode_yolov5_split(heads, anchors, options);
    }
    case Head::kAnchorFreeFlat: {
      EZ_ASSIGN_OR_RETURN(const NamedTensor* out, find(outputs, layout.main_output));
      AnchorFreeFlatLayout flat{layout.channels_first, layout.num_classes,
                                layout.num_mask_coeffs + 3 * layout.num_keypoints};
      return decode_anchor_free_flat(*out, flat, options);
    }
    case Head::kDflSplit: {
      std::vector<DflScaleOutputs> scales;
      for (const ScaleRoles& s : layout.scales) {
        DflScaleOutputs d;
        d.stride = s.stride;
        EZ_ASSIGN_OR_RETURN(d.box, find(outputs, s.box));
        EZ_ASSIGN_OR_RETURN(d.cls, find(outputs, s.cls));
        EZ_ASSIGN_OR_RETURN(d.score_sum, find_optional(outputs, s.score_sum));
        scales.push_back(d);
      }
      return decode_dfl_split(scales, options);
    }
    case Head::kEndToEnd: {
      EZ_ASSIGN_OR_RETURN(const NamedTensor* out, find(outputs, layout.main_output));
      return decode_yolov10(*out, options);
    }
    case Head::kBoxesScores: {
      EZ_ASSIGN_OR_RETURN(const NamedTensor* boxes, find(outputs, layout.main_output));
      EZ_ASSIGN_OR_RETURN(const NamedTensor* scores, find(outputs, layout.scores_output));
      return decode_ppyoloe_boxes_scores(*boxes, *scores, options);
    }
    case Head::kRetinaFace: {
      RetinaFaceOutputs r;
      if (layout.scores_output.empty()) {
        EZ_ASSIGN_OR_RETURN(r.combined, find(outputs, layout.main_output));
      } else {
        EZ_ASSIGN_OR_RETURN(r.loc, find(outputs, layout.main_output));
        EZ_ASSIGN_OR_RETURN(r.conf, find(outputs, layout.scores_output));
        EZ_ASSIGN_OR_RETURN(r.landmarks, find(outputs, layout.extra_output));
      }
      return decode_retinaface(r, layout.input_width, layout.input_height, options);
    }
    case Head::kCtc:
      return unsupported("'" + layout.main_output + "' is a CTC text recogniser output, not a detector: " +
                         "decode it with the OCR decoder");
  }
  return internal_error("unknown head layout");
}

DecodeResult finish_detections(Candidates candidates, const ModelLayout& layout, const DecodeOptions& options) {
  DecodeResult result;
  result.warnings = diagnose_candidates(candidates, options.conf_threshold, layout.input_width, layout.input_height);
  if (candidates.needs_nms) {
    NmsOptions nms_options;
    nms_options.iou_threshold = options.iou_threshold;
    nms_options.max_det = options.max_det;
    nms_options.agnostic = options.agnostic_nms;
    nms_options.max_candidates = options.max_candidates;
    result.detections = nms(std::move(candidates.boxes), nms_options);
  } else {
    result.detections = std::move(candidates.boxes);
    std::stable_sort(result.detections.begin(), result.detections.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    if (options.max_det > 0 && result.detections.size() > static_cast<size_t>(options.max_det)) {
      result.detections.resize(static_cast<size_t>(options.max_det));
    }
  }
  return result;
}

std::vector<std::string> default_labels(const ModelLayout& layout) {
  if (layout.task == Task::kFace) return {"face"};
  if (layout.task == Task::kPose) return {"person"};
  if (layout.task == Task::kText) return {};
  // YOLOv10's output does not state its class count; its public weights are COCO's.
  if (layout.num_classes == 80 || layout.head == Head::kEndToEnd) return coco80_labels();
  return {};
}

ExtraPoints extra_points(const ModelLayout& layout) {
  if (layout.task == Task::kPose) return ExtraPoints::kKeypoints;
  if (layout.task == Task::kFace) return ExtraPoints::kLandmarks;
  return ExtraPoints::kNone;
}

Result<DecodeResult> decode_detections(const std::vector<NamedTensor>& outputs, const ModelLayout& layout,
                                       const DecodeOptions& options) {
  EZ_ASSIGN_OR_RETURN(Candidates candidates, decode_candidates(outputs, layout, options));
  return finish_detections(std::move(candidates), layout, options);
}

}  // namespace ez::zoo
