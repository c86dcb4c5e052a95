// Helpers for rewrite passes: who reads a value, and safe node replacement.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace ez {

// For each value, the indices of the nodes that read it (a node reading twice appears twice).
std::vector<std::vector<int>> value_readers(const Graph& g);
bool is_graph_output(const Graph& g, ValueId v);
// The single node reading v, or -1 if v has several readers, none, or is a graph output.
int sole_reader(const Graph& g, const std::vector<std::vector<int>>& readers, ValueId v);
// Removes nodes whose flag is set (order of the rest is kept).
void erase_nodes(Graph& g, const std::vector<bool>& dead);

}  // namespace ez
