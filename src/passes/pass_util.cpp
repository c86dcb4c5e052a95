#include "passes/pass_util.h"

#include <algorithm>

namespace ez {

std::vector<std::vector<int>> value_readers(const Graph& g) {
  std::vector<std::vector<int>> r(g.num_values());
  for (size_t n = 0; n < g.nodes().size(); ++n)
    for (ValueId in : g.nodes()[n].inputs)
      if (in != kNoValue) r[in].push_back(static_cast<int>(n));
  return r;
}

bool is_graph_output(const Graph& g, ValueId v) {
  return std::find(g.outputs().begin(), g.outputs().end(), v) != g.outputs().end();
}

int sole_reader(const Graph& g, const std::vector<std::vector<int>>& readers, ValueId v) {
  if (is_graph_output(g, v) || readers[v].size() != 1) return -1;
  return readers[v][0];
}

void erase_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  for (size_t n = 0; n < g.nodes().size(); ++n)
    if (!dead[n]) kept.push_back(std::move(g.nodes()[n]));
  g.nodes() = std::move(kept);
}

}  // namespace ez
