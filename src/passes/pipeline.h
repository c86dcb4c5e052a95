// The graph optimisation pipeline: small rewrite passes, each matching one pattern.
#pragma once

#include "graph/graph.h"

namespace ez {

// Runs every pass in order. The graph keeps its inputs, outputs and results.
Status optimize_graph(Graph& graph);

}  // namespace ez
