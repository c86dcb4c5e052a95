#include <algorithm>

#include "passes/passes.h"

namespace ez {

Status remove_identity_nodes(Graph& graph) {
  std::vector<Node> kept;
  std::vector<ValueId> replace(graph.num_values());
  for (size_t i = 0; i < replace.size(); ++i) replace[i] = static_cast<ValueId>(i);
  auto resolve = [&](ValueId v) {
    while (v != kNoValue && replace[v] != v) v = replace[v];
    return v;
  };
  for (Node& n : graph.nodes()) {
    for (ValueId& in : n.inputs) in = resolve(in);
    const bool identity = n.op_type == "Identity" || (n.op_type == "Dropout" && n.outputs.size() == 1);
    const bool is_graph_output = !n.outputs.empty() &&
        std::find(graph.outputs().begin(), graph.outputs().end(), n.outputs[0]) != graph.outputs().end();
    // A graph output must keep its name, so an Identity producing one stays (it is a cheap copy).
    if (identity && n.domain.empty() && !n.inputs.empty() && n.inputs[0] != kNoValue && !is_graph_output) {
      replace[n.outputs[0]] = n.inputs[0];
      continue;
    }
    kept.push_back(std::move(n));
  }
  graph.nodes() = std::move(kept);
  return Status::OK();
}

}  // namespace ez
