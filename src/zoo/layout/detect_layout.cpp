#include <algorithm>
#include <cctype>
#include <cmath>

#include "zoo/layout/layout_match.h"

namespace ez::zoo {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

int64_t grid_positions(int input_w, int input_h) {
  if (input_w <= 0 || input_h <= 0) return 0;
  int64_t n = 0;
  for (int s : {8, 16, 32}) n += static_cast<int64_t>(input_w / s) * (input_h / s);
  return n;
}

int infer_square_input(int64_t n, int per_cell) {
  const int64_t unit = 21LL * per_cell;  // positions of a 32x32 input: 16 + 4 + 1
  if (n <= 0 || n % unit != 0) return 0;
  const int64_t cells = n / unit;
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(cells))));
  return side * side == cells ? static_cast<int>(32 * side) : 0;
}

namespace {

bool family_allows(Family f, Head h) {
  switch (f) {
    case Family::kYolox: return h == Head::kObjectnessRows;
    case Family::kYolov5:
    case Family::kYolov7: return h == Head::kObjectnessRows || h == Head::kAnchorSplit;
    case Family::kYolov8:
    case Family::kYolo11: return h == Head::kAnchorFreeFlat || h == Head::kDflSplit;
    case Family::kYolov10: return h == Head::kEndToEnd;
    case Family::kPpyoloe: return h == Head::kDflSplit || h == Head::kBoxesScores || h == Head::kAnchorFreeFlat;
    case Family::kRetinaFace: return h == Head::kRetinaFace;
    case Family::kCtcText: return h == Head::kCtc;
  }
  return false;
}

// Families sharing a layout differ only in name and defaults (YOLOv7's anchors); the hint
// (file name, metadata) picks the name when the shapes cannot.
Family name_family(Family detected, Head head, const MatchContext& c) {
  if (c.forced) return *c.forced;
  const std::string hint = lower(c.query.hint);
  const std::pair<const char*, Family> words[] = {
      {"yolo11", Family::kYolo11}, {"yolov11", Family::kYolo11}, {"yolov7", Family::kYolov7},
      {"ppyoloe", Family::kPpyoloe}, {"pp-yoloe", Family::kPpyoloe}, {"pp_yoloe", Family::kPpyoloe},
      {"yolov10", Family::kYolov10}, {"yolox", Family::kYolox}};
  for (const auto& [word, family] : words) {
    if (hint.find(word) != std::string::npos && family_allows(family, head)) return family;
  }
  return detected;
}

std::string strides_text(const std::vector<int>& strides) {
  std::string s;
  for (int v : strides) s += (s.empty() ? "" : "/") + std::to_string(v);
  return s;
}

std::string shape_of(const LayoutQuery& q, const std::string& name) {
  for (const OutputSpec& o : q.outputs) {
    if (o.name == name) return shape_to_string(o.shape);
  }
  return "?";
}

std::string describe(const ModelLayout& l, const LayoutQuery& q) {
  const std::string family = family_name(l.family);
  const std::string classes = std::to_string(l.num_classes) + (l.num_classes == 1 ? " class" : " classes");
  const std::string main = "'" + l.main_output + "' " + shape_of(q, l.main_output);
  switch (l.head) {
    case Head::kObjectnessRows:
      if (l.family == Family::kYolox) {
        return family + ", one output " + main + " of rows (cx, cy, w, h, objectness, " + classes +
               ") over strides 8/16/32; grid and exp() applied here unless the boxes are already decoded";
      }
      return family + " framework export, one output " + main + " of decoded rows (cx, cy, w, h, objectness, " +
             classes + "), 3 anchors x strides 8/16/32";
    case Head::kAnchorSplit:
      return family + " split-head, " + std::to_string(l.scales.size()) + " scales (strides " +
             strides_text(l.strides) + "), 3 anchors each, " + classes + ", sigmoid in graph";
    case Head::kAnchorFreeFlat: {
      std::string d = family + " anchor-free, one output " + main +
                      (l.channels_first ? " channels-first" : " rows") + " (cx, cy, w, h, " + classes;
      if (l.task == Task::kPose) d += ", " + std::to_string(l.num_keypoints) + " keypoints x (x, y, visibility)";
      if (l.task == Task::kSegment) d += ", " + std::to_string(l.num_mask_coeffs) + " mask coefficients";
      d += "), boxes decoded in graph";
      if (l.task == Task::kSegment) d += "; prototypes '" + l.extra_output + "' " + shape_of(q, l.extra_output);
      return d;
    }
    case Head::kDflSplit:
      return family + " split-head, " + std::to_string(l.scales.size()) + " scales (strides " +
             strides_text(l.strides) + "), " + classes + ", DFL " + std::to_string(l.dfl_bins) +
             (l.scales.front().score_sum.empty() ? "" : ", with score_sum");
    case Head::kEndToEnd:
      return family + " end-to-end, one output " + main + " (x1, y1, x2, y2, score, class), NMS-free";
    case Head::kBoxesScores:
      return family + " boxes + scores, '" + l.main_output + "' " + shape_of(q, l.main_output) + " (x1, y1, x2, y2) and '" +
             l.scores_output + "' " + shape_of(q, l.scores_output) + " (" + classes + ")";
    case Head::kRetinaFace:
      return family + ", " + (l.scores_output.empty() ? "one output " + main : std::string("three outputs")) +
             " (box deltas, face/background logits, 5 landmarks) over priors at strides 8/16/32";
    case Head::kCtc:
      return "CTC text recogniser, one output " + main + ": " + std::to_string(l.num_classes) +
             " classes per time step (greedy CTC); not a detector";
  }
  return family;
}

std::string outputs_text(const LayoutQuery& q) {
  std::string s;
  for (const OutputSpec& o : q.outputs) s += (s.empty() ? "" : ", ") + ("'" + o.name + "' " + shape_to_string(o.shape));
  return s.empty() ? "(none)" : s;
}

}  // namespace

Result<ModelLayout> detect_layout(const LayoutQuery& query) {
  std::optional<Family> forced;
  if (!query.family.empty()) {
    EZ_ASSIGN_OR_RETURN(Family f, parse_family(query.family));
    forced = f;
  }
  const MatchContext context{query, forced};
  std::optional<ModelLayout> found = match_split_head(context);
  if (!found) found = match_multi_output(context);
  if (!found) found = match_single_output(context);
  if (found && (!forced || family_allows(*forced, found->head))) {
    found->family = name_family(found->family, found->head, context);
    found->description = describe(*found, query);
    return *std::move(found);
  }
  const std::string input = query.input_width > 0 ? " (input " + std::to_string(query.input_width) + "x" +
                                                        std::to_string(query.input_height) + ")"
                                                  : "";
  if (forced) {
    return invalid_argument(std::string("the outputs ") + outputs_text(query) + input + " do not fit the " +
                            family_name(*forced) + " layouts edgezoo knows; accepted --family values: " +
                            accepted_family_values());
  }
  return invalid_argument("cannot tell the model family from its outputs " + outputs_text(query) + input +
                          "; pass --family with one of: " + accepted_family_values());
}

}  // namespace ez::zoo
