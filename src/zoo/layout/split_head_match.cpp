// Recognising split heads: every output is [1, C, H, W]; outputs sharing a spatial size form one
// scale. One output a scale with 3 x (5 + classes) channels is the anchor-based YOLOv5/v7 head;
// two or three a scale (box DFL, classes, optional score_sum) is the anchor-free DFL head.
#include "zoo/layout/layout_match.h"

#include <algorithm>

namespace ez::zoo {
namespace {

struct Scale {
  int64_t h, w;
  std::vector<size_t> outputs;  // indices into the query's outputs, in output order
};

bool name_has_any(const std::string& name, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (lower(name).find(w) != std::string::npos) return true;
  }
  return false;
}

// Which of two outputs of a scale holds the DFL box logits: names first ("box_8", "cls_8" in the
// NPU model zoo), then the usual 4 x 16 / 4 x 17 channel counts, then the zoo's order (box first).
bool first_is_box(const OutputSpec& a, const OutputSpec& b) {
  const bool a_box = name_has_any(a.name, {"box", "reg", "dfl", "loc"});
  const bool b_box = name_has_any(b.name, {"box", "reg", "dfl", "loc"});
  if (a_box != b_box) return a_box;
  const bool a_cls = name_has_any(a.name, {"cls", "class"});
  const bool b_cls = name_has_any(b.name, {"cls", "class"});
  if (a_cls != b_cls) return b_cls;
  auto usual_dfl = [](int64_t c) { return c == 64 || c == 68; };
  if (usual_dfl(a.shape[1]) != usual_dfl(b.shape[1])) return usual_dfl(a.shape[1]);
  const bool a_four = a.shape[1] % 4 == 0, b_four = b.shape[1] % 4 == 0;
  if (a_four != b_four) return a_four;
  return true;
}

}  // namespace

std::optional<ModelLayout> match_split_head(const MatchContext& c) {
  const std::vector<OutputSpec>& outs = c.query.outputs;
  if (outs.size() < 2) return std::nullopt;
  std::vector<Scale> scales;
  for (size_t i = 0; i < outs.size(); ++i) {
    const Shape& s = outs[i].shape;
    if (s.size() != 4 || s[0] != 1 || s[1] <= 0 || s[2] <= 0 || s[3] <= 0) return std::nullopt;
    auto it = std::find_if(scales.begin(), scales.end(), [&](const Scale& g) { return g.h == s[2] && g.w == s[3]; });
    if (it == scales.end()) {
      scales.push_back({s[2], s[3], {i}});
    } else {
      it->outputs.push_back(i);
    }
  }
  std::stable_sort(scales.begin(), scales.end(), [](const Scale& a, const Scale& b) { return a.h > b.h; });

  ModelLayout layout;
  layout.input_width = c.query.input_width;
  layout.input_height = c.query.input_height;
  if (layout.input_width <= 0 || layout.input_height <= 0) {  // the finest scale is stride 8 in every family here
    layout.input_width = static_cast<int>(scales.front().w * 8);
    layout.input_height = static_cast<int>(scales.front().h * 8);
  }
  for (const Scale& g : scales) {
    if (layout.input_height % g.h != 0 || layout.input_width % g.w != 0) return std::nullopt;
    const int64_t stride = layout.input_height / g.h;
    if (layout.input_width / g.w != stride) return std::nullopt;
    layout.strides.push_back(static_cast<int>(stride));
  }

  const bool one_per_scale = std::all_of(scales.begin(), scales.end(), [](const Scale& g) { return g.outputs.size() == 1; });
  if (one_per_scale) {
    layout.head = Head::kAnchorSplit;
    layout.family = Family::kYolov5;
    layout.anchors_per_scale = 3;
    for (size_t k = 0; k < scales.size(); ++k) {
      const int64_t ch = outs[scales[k].outputs[0]].shape[1];
      if (ch % 3 != 0 || ch / 3 < 6) return std::nullopt;
      const int classes = static_cast<int>(ch / 3 - 5);
      if (k > 0 && classes != layout.num_classes) return std::nullopt;
      layout.num_classes = classes;
      layout.scales.push_back({layout.strides[k], outs[scales[k].outputs[0]].name, "", ""});
    }
    return layout;
  }

  layout.head = Head::kDflSplit;
  for (size_t k = 0; k < scales.size(); ++k) {
    ScaleRoles roles;
    roles.stride = layout.strides[k];
    std::vector<size_t> others;
    for (size_t i : scales[k].outputs) {
      if (outs[i].shape[1] == 1 && roles.score_sum.empty()) {
        roles.score_sum = outs[i].name;
      } else {
        others.push_back(i);
      }
    }
    if (others.size() != 2) return std::nullopt;
    const OutputSpec* box = &outs[others[0]];
    const OutputSpec* cls = &outs[others[1]];
    if (!first_is_box(*box, *cls)) std::swap(box, cls);
    if (box->shape[1] % 4 != 0 || box->shape[1] < 8) return std::nullopt;
    const int bins = static_cast<int>(box->shape[1] / 4);
    const int classes = static_cast<int>(cls->shape[1]);
    if (k > 0 && (bins != layout.dfl_bins || classes != layout.num_classes)) return std::nullopt;
    if (k > 0 && roles.score_sum.empty() != layout.scales.front().score_sum.empty()) return std::nullopt;
    layout.dfl_bins = bins;
    layout.num_classes = classes;
    roles.box = box->name;
    roles.cls = cls->name;
    layout.scales.push_back(roles);
  }
  // PP-YOLOE regresses 17 bins (reg_max 16); YOLOv8/11 use 16.
  layout.family = layout.dfl_bins == 17 ? Family::kPpyoloe : Family::kYolov8;
  return layout;
}

}  // namespace ez::zoo
