// Stride-1 max pools of one tensor with "same" padding and growing windows (the SPP block of
// YOLOv3-SPP, YOLOv4, YOLOv5 before v6 and YOLOX: 5x5, 9x9 and 13x13) -> each pool after the
// smallest reads the previous one's output with a window of the difference: max over 9x9 is max
// over 5x5 of max over 5x5 (what YOLOv5's SPPF writes by hand). Exact: a pool ignores its padding,
// and every input position of the wide window lies within (k_b - k_a) / 2 of a position of the
// narrow one that is itself inside the input. 5 + 9 + 13 window rows become 5 + 5 + 5.
#include <algorithm>
#include <map>

#include "passes/pass_util.h"
#include "passes/passes.h"

namespace ez {
namespace {

// The window of a stride-1, undilated, symmetrically "same"-padded MaxPool with one output, or
// empty when the node is not such a pool.
std::vector<int64_t> same_window(const Node& n) {
  if (n.op_type != "MaxPool" || !n.domain.empty() || n.outputs.size() != 1) return {};
  const Attributes& a = n.attrs;
  const std::vector<int64_t> k = a.get_ints("kernel_shape");
  if (k.empty() || a.get_int("ceil_mode", 0) != 0 || a.get_int("storage_order", 0) != 0) return {};
  if (a.has("auto_pad") && a.get_string("auto_pad", "NOTSET") != "NOTSET") return {};
  const std::vector<int64_t> strides = a.get_ints("strides", std::vector<int64_t>(k.size(), 1));
  const std::vector<int64_t> dilations = a.get_ints("dilations", std::vector<int64_t>(k.size(), 1));
  const std::vector<int64_t> pads = a.get_ints("pads", std::vector<int64_t>(2 * k.size(), 0));
  if (strides.size() != k.size() || dilations.size() != k.size() || pads.size() != 2 * k.size()) return {};
  for (size_t d = 0; d < k.size(); ++d)
    if (k[d] % 2 == 0 || strides[d] != 1 || dilations[d] != 1 || pads[d] != k[d] / 2 || pads[d + k.size()] != k[d] / 2) return {};
  return k;
}

bool covers(const std::vector<int64_t>& wide, const std::vector<int64_t>& narrow) {
  if (wide.size() != narrow.size() || wide == narrow) return false;
  for (size_t d = 0; d < wide.size(); ++d)
    if (wide[d] < narrow[d]) return false;
  return true;
}

}  // namespace

Status cascade_max_pools(Graph& g) {
  // input -> its "same" pools (window, node), in node order
  std::map<ValueId, std::vector<std::pair<std::vector<int64_t>, int>>> pools_of;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    std::vector<int64_t> window = same_window(g.nodes()[i]);
    if (!window.empty() && g.nodes()[i].inputs[0] != kNoValue)
      pools_of[g.nodes()[i].inputs[0]].emplace_back(std::move(window), static_cast<int>(i));
  }
  bool changed = false;
  for (auto& [input, by_window] : pools_of) {
    if (by_window.size() < 2) continue;
    std::stable_sort(by_window.begin(), by_window.end(), [](const auto& a, const auto& b) {
      int64_t sa = 1, sb = 1;
      for (int64_t v : a.first) sa *= v;
      for (int64_t v : b.first) sb *= v;
      return sa < sb;
    });
    for (size_t j = 1; j < by_window.size(); ++j) {
      const auto& [narrow, from] = by_window[j - 1];
      const auto& [wide, to] = by_window[j];
      if (!covers(wide, narrow)) continue;  // equal or crossing windows: left alone
      std::vector<int64_t> k(wide.size()), pads(2 * wide.size());
      for (size_t d = 0; d < wide.size(); ++d) {
        k[d] = wide[d] - narrow[d] + 1;
        pads[d] = pads[d + wide.size()] = k[d] / 2;
      }
      Node& n = g.nodes()[to];
      n.inputs[0] = g.nodes()[from].outputs[0];
      n.attrs.set("kernel_shape", Attribute::of_ints(k));
      n.attrs.set("pads", Attribute::of_ints(pads));
      changed = true;
    }
  }
  return changed ? g.topological_sort() : Status::OK();
}

}  // namespace ez
