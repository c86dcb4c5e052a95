#include "quant/analysis_report.h"

#include <algorithm>
#include <cstdio>

namespace ez::quant {
namespace {

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string pad(std::string s, size_t width, bool right = false) {
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string format_analysis_table(const AnalysisResult& r, int top) {
  const size_t shown = top > 0 ? std::min<size_t>(top, r.layers.size()) : r.layers.size();
  size_t name_w = 5, op_w = 2;
  for (size_t i = 0; i < shown; ++i) {
    name_w = std::max(name_w, r.layers[i].node.size());
    op_w = std::max(op_w, r.layers[i].op.size());
  }
  name_w = std::min<size_t>(name_w, 40);
  op_w = std::min<size_t>(op_w, 18);
  std::string out = "layers by damage (" + std::to_string(r.layers.size()) + " compared over " + std::to_string(r.samples) +
                    " samples; isolated: this layer alone on float inputs, accumulated: the int8 model up to here)\n";
  out += pad("rank", 5, true) + "  " + pad("layer", name_w) + "  " + pad("op", op_w) + "  " + pad("iso cos", 9, true) + "  " +
         pad("iso rel.err", 11, true) + "  " + pad("acc cos", 9, true) + "  " + pad("acc rel.err", 11, true) + "\n";
  for (size_t i = 0; i < shown; ++i) {
    const LayerError& e = r.layers[i];
    out += pad(std::to_string(i + 1), 5, true) + "  " + pad(e.node, name_w) + "  " + pad(e.op, op_w) + "  ";
    out += e.has_isolated ? pad(fixed(e.isolated_cosine, 6), 9, true) + "  " + pad(fixed(e.isolated_rel_error, 5), 11, true)
                          : pad("-", 9, true) + "  " + pad("-", 11, true);
    out += "  " + pad(fixed(e.accumulated_cosine, 6), 9, true) + "  " + pad(fixed(e.accumulated_rel_error, 5), 11, true) + "\n";
  }
  if (shown < r.layers.size())
    out += "  ... " + std::to_string(r.layers.size() - shown) + " less damaged layers not shown (--top 0 shows all; the JSON has every one)\n";
  for (const OutputError& o : r.outputs)
    out += "output '" + o.name + "': cosine " + fixed(o.cosine, 6) + ", relative error " + fixed(o.rel_error, 5) + "\n";
  return out;
}

nlohmann::json analysis_json(const AnalysisResult& r) {
  nlohmann::json j;
  j["samples"] = r.samples;
  j["seconds"] = r.seconds;
  nlohmann::json outs = nlohmann::json::array();
  for (const OutputError& o : r.outputs) outs.push_back({{"name", o.name}, {"cosine", o.cosine}, {"rel_error", o.rel_error}});
  j["outputs"] = outs;
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerError& e = r.layers[i];
    nlohmann::json l = {{"rank", i + 1},
                        {"node", e.node},
                        {"op", e.op},
                        {"tensor", e.tensor},
                        {"accumulated_cosine", e.accumulated_cosine},
                        {"accumulated_rel_error", e.accumulated_rel_error}};
    l["isolated_cosine"] = e.has_isolated ? nlohmann::json(e.isolated_cosine) : nlohmann::json();
    l["isolated_rel_error"] = e.has_isolated ? nlohmann::json(e.isolated_rel_error) : nlohmann::json();
    layers.push_back(l);
  }
  j["layers"] = layers;
  return j;
}

}  // namespace ez::quant
